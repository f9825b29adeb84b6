package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"unicode/utf8"

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

// encodeRoute is the deterministic encoding of one snapshot route, kept with the route.
// A route that does not encode (a string that is not UTF-8) is kept as nil, and
// setVersionFromParts encodes it again to report the error.
func encodeRoute(r *snapshotv1.Route) []byte {
	b, err := deterministic.Marshal(r)
	if err != nil {
		return nil // Marshal returns what it wrote before failing
	}
	return b
}

// setVersionFromParts stores the content hash of snap in snap.Version, as setVersion
// does, but reuses the encoding of each route (routes[vh][i] is vh.Routes[i]): it
// writes the encoding around them and hashes it once, the encoding of a message being
// its fields in field-number order, each set message field as tag, length and the
// field's own encoding. It returns the encoding of snap with its version, as sent to
// proxies; sizeHint is its expected size (the previous encoding's, say).
//
// Snapshot, Listener and VirtualHost are written here field by field; the messages in
// them (Upstream, JwtProvider, ListenerTLS, Route) are proto.Marshal's. A field added
// to one of the three must be written here: TestHandEncodedFieldsAreListed and
// TestHandEncoderWritesEachField fail until it is, and the tests of encoding_test.go
// require the result to be byte for byte proto.Marshal's.
func setVersionFromParts(snap *snapshotv1.Snapshot, routes map[*snapshotv1.VirtualHost][][]byte, sizeHint int) ([]byte, error) {
	snap.Version = ""
	// The version field (1) goes first, its room kept: a SHA-256 in hex.
	const versionField = 1 + 1 + 2*sha256.Size
	h := &hashWriter{out: make([]byte, versionField, max(64<<10, sizeHint+sizeHint/16))}
	h.string(2, snap.GatewayNamespace)
	h.string(3, snap.GatewayName)
	for _, l := range snap.Listeners {
		if err := h.listener(l, routes); err != nil {
			return nil, err
		}
	}
	for _, u := range snap.Upstreams {
		ub, err := deterministic.Marshal(u)
		if err != nil {
			return nil, fmt.Errorf("encoding upstream %s: %w", u.Name, err)
		}
		h.message(5, ub)
	}
	for _, p := range snap.JwtProviders {
		pb, err := deterministic.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encoding JWT provider %s: %w", p.Id, err)
		}
		h.message(6, pb)
	}
	if st := snap.RateLimitStore; st != nil {
		sb, err := deterministic.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("encoding the rate-limit store: %w", err)
		}
		h.message(7, sb)
	}
	if h.err != nil {
		return nil, fmt.Errorf("encoding snapshot of Gateway %s/%s: %w", snap.GatewayNamespace, snap.GatewayName, h.err)
	}
	// The version hashes the encoding without it: all that follows its room.
	sum := sha256.Sum256(h.out[versionField:])
	snap.Version = hex.EncodeToString(sum[:])
	head := protowire.AppendString(protowire.AppendTag(h.out[:0], 1, protowire.BytesType), snap.Version)
	if len(head) != versionField {
		return nil, fmt.Errorf("version field of %d bytes, want %d", len(head), versionField)
	}
	return h.out, nil
}

// hashWriter appends protobuf fields to out, which is hashed once written. err is the
// first string written that proto.Marshal would refuse.
type hashWriter struct {
	buf []byte
	out []byte
	err error
}

func (w *hashWriter) write(b []byte) {
	w.out = append(w.out, b...)
}

// writeString writes the value of a string field, which must be UTF-8 as proto.Marshal
// and the proxies' decoder require.
func (w *hashWriter) writeString(s string) {
	if w.err == nil && !utf8.ValidString(s) {
		w.err = fmt.Errorf("string %q is not valid UTF-8", s)
	}
	w.out = append(w.out, s...)
}

// head writes the tag and length of a length-delimited field (string, bytes, message).
func (w *hashWriter) head(num protowire.Number, length int) {
	w.buf = protowire.AppendTag(w.buf[:0], num, protowire.BytesType)
	w.buf = protowire.AppendVarint(w.buf, uint64(length))
	w.write(w.buf)
}

// string writes a proto3 string field, omitted when empty.
func (w *hashWriter) string(num protowire.Number, s string) {
	if s != "" {
		w.head(num, len(s))
		w.writeString(s)
	}
}

// varint writes a proto3 integer or enum field, omitted when zero.
func (w *hashWriter) varint(num protowire.Number, v uint64) {
	if v != 0 {
		w.buf = protowire.AppendVarint(protowire.AppendTag(w.buf[:0], num, protowire.VarintType), v)
		w.write(w.buf)
	}
}

// message writes a set message field.
func (w *hashWriter) message(num protowire.Number, msg []byte) {
	w.head(num, len(msg))
	w.write(msg)
}

func (w *hashWriter) listener(l *snapshotv1.Listener, routes map[*snapshotv1.VirtualHost][][]byte) error {
	var tls []byte
	if l.Tls != nil {
		var err error
		if tls, err = deterministic.Marshal(l.Tls); err != nil {
			return fmt.Errorf("encoding TLS of listener %s: %w", l.Name, err)
		}
	}
	size := stringSize(1, l.Name) + varintSize(2, uint64(l.Port)) + varintSize(3, uint64(l.Protocol)) +
		stringSize(4, l.Hostname) + varintSize(7, boolVarint(l.AllowHeadersWithUnderscores))
	if l.Tls != nil {
		size += messageSize(5, len(tls))
	}
	vhRoutes := make([][][]byte, len(l.VirtualHosts))
	vhSizes := make([]int, len(l.VirtualHosts))
	for i, vh := range l.VirtualHosts {
		var err error
		if vhRoutes[i], err = routeEncodings(vh, routes[vh]); err != nil {
			return fmt.Errorf("encoding virtual host %q of listener %q: %w", vh.Name, l.Name, err)
		}
		vhSizes[i] = virtualHostSize(vh, vhRoutes[i])
		size += messageSize(6, vhSizes[i])
	}
	w.head(4, size)
	w.string(1, l.Name)
	w.varint(2, uint64(l.Port))
	w.varint(3, uint64(l.Protocol))
	w.string(4, l.Hostname)
	if l.Tls != nil {
		w.message(5, tls)
	}
	for i, vh := range l.VirtualHosts {
		w.head(6, vhSizes[i])
		w.string(1, vh.Name)
		for _, d := range vh.Domains {
			w.head(2, len(d))
			w.writeString(d)
		}
		for _, rb := range vhRoutes[i] {
			w.message(3, rb)
		}
	}
	w.varint(7, boolVarint(l.AllowHeadersWithUnderscores))
	return nil
}

// boolVarint is a bool field's varint: 1 for true, 0 (omitted) for false.
func boolVarint(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// routeEncodings returns the encoding of each route of vh: the kept one (kept[i] is
// vh.Routes[i]'s), or a new one when none was kept or keeping it failed.
func routeEncodings(vh *snapshotv1.VirtualHost, kept [][]byte) ([][]byte, error) {
	if len(kept) != len(vh.Routes) {
		kept = nil
	}
	if kept != nil && slices.IndexFunc(kept, func(b []byte) bool { return b == nil }) < 0 {
		return kept, nil
	}
	out := make([][]byte, len(vh.Routes))
	for i, r := range vh.Routes {
		if kept != nil && kept[i] != nil {
			out[i] = kept[i]
			continue
		}
		b, err := deterministic.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding route %q: %w", r.GetName(), err)
		}
		out[i] = b
	}
	return out, nil
}

// virtualHostSize is the size of vh's encoding, routes[i] being the encoding of its
// route i.
func virtualHostSize(vh *snapshotv1.VirtualHost, routes [][]byte) int {
	size := stringSize(1, vh.Name)
	for _, d := range vh.Domains {
		size += messageSize(2, len(d))
	}
	for _, rb := range routes {
		size += messageSize(3, len(rb))
	}
	return size
}

func stringSize(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return messageSize(num, len(s))
}

func varintSize(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func messageSize(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}
