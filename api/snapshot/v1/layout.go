package snapshotv1

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Layout is a Snapshot's encoding read down to its routes without decoding them: the
// fields of Snapshot, Listener and VirtualHost, and the encoding of every message in
// them (routes, upstreams, JWT providers, TLS, rate-limit store) as a slice of the
// encoding. A reader decodes only the messages it needs: a proxy that served the same
// route bytes before keeps what it compiled from them.
type Layout struct {
	Version          string
	GatewayNamespace string
	GatewayName      string
	Listeners        []ListenerLayout
	// Upstreams and JwtProviders are the encodings of Snapshot.upstreams and
	// Snapshot.jwt_providers, in order.
	Upstreams    [][]byte
	JwtProviders [][]byte
	// RateLimitStore is the encoding of Snapshot.rate_limit_store, nil when unset.
	RateLimitStore []byte
	// routeFields are the spans of every route field (tag, length and route) in the
	// encoding, in order.
	routeFields []span
}

// ListenerLayout is a Listener read as in Layout.
type ListenerLayout struct {
	Name     string
	Port     uint32
	Protocol Protocol
	Hostname string
	// TLS is the encoding of Listener.tls, nil when unset.
	TLS                         []byte
	VirtualHosts                []VirtualHostLayout
	AllowHeadersWithUnderscores bool
}

// VirtualHostLayout is a VirtualHost read as in Layout.
type VirtualHostLayout struct {
	Name    string
	Domains []string
	// Routes are the encodings of VirtualHost.routes, in order.
	Routes [][]byte
}

// span is a range [start, end) of an encoding.
type span struct{ start, end int }

// ReadLayout reads enc, the protobuf encoding of a Snapshot, as a Layout. The slices of
// the result share enc's bytes. Fields it does not know are skipped, as proto.Unmarshal
// does; a field of the wrong wire type, a singular message written twice, a string that
// is not UTF-8 or bytes cut short are errors.
func ReadLayout(enc []byte) (*Layout, error) {
	l := &Layout{}
	err := eachField(enc, 0, func(num protowire.Number, typ protowire.Type, v value) error {
		switch num {
		case 1:
			return v.str(typ, &l.Version)
		case 2:
			return v.str(typ, &l.GatewayNamespace)
		case 3:
			return v.str(typ, &l.GatewayName)
		case 4:
			ll, err := readListener(v, typ, l)
			if err == nil {
				l.Listeners = append(l.Listeners, ll)
			}
			return err
		case 5:
			return v.appendMessage(typ, &l.Upstreams)
		case 6:
			return v.appendMessage(typ, &l.JwtProviders)
		case 7:
			return v.message(typ, &l.RateLimitStore)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading snapshot encoding: %w", err)
	}
	return l, nil
}

func readListener(v value, typ protowire.Type, l *Layout) (ListenerLayout, error) {
	var ll ListenerLayout
	if typ != protowire.BytesType {
		return ll, errors.New("listener: not a message")
	}
	err := eachField(v.b, v.offset, func(num protowire.Number, typ protowire.Type, v value) error {
		switch num {
		case 1:
			return v.str(typ, &ll.Name)
		case 2:
			return v.uint32(typ, &ll.Port)
		case 3:
			var p uint32
			err := v.uint32(typ, &p)
			ll.Protocol = Protocol(p)
			return err
		case 4:
			return v.str(typ, &ll.Hostname)
		case 5:
			return v.message(typ, &ll.TLS)
		case 6:
			vh, err := readVirtualHost(v, typ, l)
			if err == nil {
				ll.VirtualHosts = append(ll.VirtualHosts, vh)
			}
			return err
		case 7:
			var b uint32
			err := v.uint32(typ, &b)
			ll.AllowHeadersWithUnderscores = b != 0
			return err
		}
		return nil
	})
	if err != nil {
		return ll, fmt.Errorf("listener %q: %w", ll.Name, err)
	}
	return ll, nil
}

func readVirtualHost(v value, typ protowire.Type, l *Layout) (VirtualHostLayout, error) {
	var vh VirtualHostLayout
	if typ != protowire.BytesType {
		return vh, errors.New("virtual host: not a message")
	}
	// Sized first: grown route by route, the two lists of 10,000 routes cost five
	// times their size.
	n := 0
	_ = eachField(v.b, v.offset, func(num protowire.Number, _ protowire.Type, _ value) error {
		if num == 3 {
			n++
		}
		return nil
	}) // a malformed field is reported by the read below
	vh.Routes = make([][]byte, 0, n)
	l.routeFields = slices.Grow(l.routeFields, n)
	err := eachField(v.b, v.offset, func(num protowire.Number, typ protowire.Type, v value) error {
		switch num {
		case 1:
			return v.str(typ, &vh.Name)
		case 2:
			var d string
			err := v.str(typ, &d)
			vh.Domains = append(vh.Domains, d)
			return err
		case 3:
			if typ != protowire.BytesType {
				return errors.New("route: not a message")
			}
			vh.Routes = append(vh.Routes, v.b[:len(v.b):len(v.b)])
			l.routeFields = append(l.routeFields, v.field)
		}
		return nil
	})
	if err != nil {
		return vh, fmt.Errorf("virtual host %q: %w", vh.Name, err)
	}
	return vh, nil
}

// value is one field's value: b the bytes of a length-delimited value (at offset in
// the whole encoding) or n a varint, and field the span of the whole field.
type value struct {
	b      []byte
	offset int
	n      uint64
	field  span
}

// eachField calls fn with every field of the message msg, which starts at offset in
// the whole encoding.
func eachField(msg []byte, offset int, fn func(protowire.Number, protowire.Type, value) error) error {
	for pos := 0; pos < len(msg); {
		num, typ, n := protowire.ConsumeTag(msg[pos:])
		if n < 0 {
			return fmt.Errorf("at byte %d: %w", offset+pos, protowire.ParseError(n))
		}
		v := value{field: span{start: offset + pos}}
		switch typ {
		case protowire.VarintType:
			x, m := protowire.ConsumeVarint(msg[pos+n:])
			if m < 0 {
				return fmt.Errorf("field %d at byte %d: %w", num, offset+pos, protowire.ParseError(m))
			}
			v.n, n = x, n+m
		case protowire.BytesType:
			b, m := protowire.ConsumeBytes(msg[pos+n:])
			if m < 0 {
				return fmt.Errorf("field %d at byte %d: %w", num, offset+pos, protowire.ParseError(m))
			}
			v.b, v.offset, n = b, offset+pos+n+m-len(b), n+m
		default:
			m := protowire.ConsumeFieldValue(num, typ, msg[pos+n:])
			if m < 0 {
				return fmt.Errorf("field %d at byte %d: %w", num, offset+pos, protowire.ParseError(m))
			}
			n += m
		}
		pos += n
		v.field.end = offset + pos
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

func (v value) str(typ protowire.Type, dst *string) error {
	if typ != protowire.BytesType {
		return errors.New("a string field is not length-delimited")
	}
	if !utf8.Valid(v.b) {
		return errors.New("a string is not valid UTF-8")
	}
	*dst = string(v.b)
	return nil
}

func (v value) uint32(typ protowire.Type, dst *uint32) error {
	if typ != protowire.VarintType {
		return errors.New("an integer field is not a varint")
	}
	*dst = uint32(v.n)
	return nil
}

func (v value) message(typ protowire.Type, dst *[]byte) error {
	switch {
	case typ != protowire.BytesType:
		return errors.New("a message field is not length-delimited")
	case *dst != nil:
		return errors.New("a singular message is written twice")
	}
	*dst = v.b[:len(v.b):len(v.b)]
	return nil
}

func (v value) appendMessage(typ protowire.Type, dst *[][]byte) error {
	if typ != protowire.BytesType {
		return errors.New("a message field is not length-delimited")
	}
	*dst = append(*dst, v.b[:len(v.b):len(v.b)])
	return nil
}
