package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// setVersion stores the content hash of snap in snap.Version: the same value as
// snapshotv1.SetVersion, computed without first copying the snapshot (which, at 10,000
// routes, costs as much as encoding it).
func setVersion(snap *snapshotv1.Snapshot) error {
	snap.Version = ""
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encoding snapshot of Gateway %s/%s: %w", snap.GatewayNamespace, snap.GatewayName, err)
	}
	sum := sha256.Sum256(b)
	snap.Version = hex.EncodeToString(sum[:])
	return nil
}

// deterministic is the encoding the version is computed over.
var deterministic = proto.MarshalOptions{Deterministic: true}

// encodeRoute is the deterministic encoding of one snapshot route. A route built here
// always encodes, so an error leaves nil, which only makes the version wrong (the
// equality test with setVersion would catch it).
func encodeRoute(r *snapshotv1.Route) []byte {
	b, _ := deterministic.Marshal(r)
	return b
}

// setVersionFromParts stores the content hash of snap in snap.Version, as setVersion
// does, but reuses the encoding of each route (routes[vh][i] is vh.Routes[i]): the
// encoding of a message is the concatenation of its fields in field-number order, each
// set message field as tag, length and the field's own encoding. A test checks that
// both give the same version.
func setVersionFromParts(snap *snapshotv1.Snapshot, routes map[*snapshotv1.VirtualHost][][]byte) error {
	snap.Version = ""
	var b []byte
	b = appendString(b, 2, snap.GatewayNamespace)
	b = appendString(b, 3, snap.GatewayName)
	for _, l := range snap.Listeners {
		lb, err := encodeListener(l, routes)
		if err != nil {
			return err
		}
		b = appendMessage(b, 4, lb)
	}
	for _, u := range snap.Upstreams {
		ub, err := deterministic.Marshal(u)
		if err != nil {
			return fmt.Errorf("encoding upstream %s: %w", u.Name, err)
		}
		b = appendMessage(b, 5, ub)
	}
	for _, p := range snap.JwtProviders {
		pb, err := deterministic.Marshal(p)
		if err != nil {
			return fmt.Errorf("encoding JWT provider %s: %w", p.Id, err)
		}
		b = appendMessage(b, 6, pb)
	}
	sum := sha256.Sum256(b)
	snap.Version = hex.EncodeToString(sum[:])
	return nil
}

func encodeListener(l *snapshotv1.Listener, routes map[*snapshotv1.VirtualHost][][]byte) ([]byte, error) {
	var b []byte
	b = appendString(b, 1, l.Name)
	b = appendVarint(b, 2, uint64(l.Port))
	b = appendVarint(b, 3, uint64(l.Protocol))
	b = appendString(b, 4, l.Hostname)
	if l.Tls != nil {
		tb, err := deterministic.Marshal(l.Tls)
		if err != nil {
			return nil, fmt.Errorf("encoding TLS of listener %s: %w", l.Name, err)
		}
		b = appendMessage(b, 5, tb)
	}
	for _, vh := range l.VirtualHosts {
		var vb []byte
		vb = appendString(vb, 1, vh.Name)
		for _, d := range vh.Domains {
			vb = protowire.AppendTag(vb, 2, protowire.BytesType)
			vb = protowire.AppendString(vb, d)
		}
		encoded := routes[vh]
		for i, r := range vh.Routes {
			rb := encoded[i]
			if rb == nil {
				rb = encodeRoute(r)
			}
			vb = appendMessage(vb, 3, rb)
		}
		b = appendMessage(b, 6, vb)
	}
	return b, nil
}

// appendString appends a proto3 string field, omitted when empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendVarint appends a proto3 integer or enum field, omitted when zero.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendMessage appends a set message field.
func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}
