package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

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
// does, but reuses the encoding of each route (routes[vh][i] is vh.Routes[i]) and
// streams the encoding into the hash instead of building it: the encoding of a message
// is its fields in field-number order, each set message field as tag, length and the
// field's own encoding. A test checks that both give the same version. It returns the
// encoding of snap with its version, as sent to proxies; sizeHint is its expected size
// (the previous encoding's, say).
func setVersionFromParts(snap *snapshotv1.Snapshot, routes map[*snapshotv1.VirtualHost][][]byte, sizeHint int) ([]byte, error) {
	snap.Version = ""
	// The version field (1) goes first, its room kept: a SHA-256 in hex.
	const versionField = 1 + 1 + 2*sha256.Size
	h := &hashWriter{h: sha256.New(), out: make([]byte, versionField, max(64<<10, sizeHint+sizeHint/16))}
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
	snap.Version = hex.EncodeToString(h.h.Sum(nil))
	head := protowire.AppendString(protowire.AppendTag(h.out[:0], 1, protowire.BytesType), snap.Version)
	if len(head) != versionField {
		return nil, fmt.Errorf("version field of %d bytes, want %d", len(head), versionField)
	}
	return h.out, nil
}

// hashWriter writes protobuf fields into a hash and appends them to out.
type hashWriter struct {
	h   hash.Hash
	buf []byte
	out []byte
}

func (w *hashWriter) write(b []byte) {
	w.h.Write(b)
	w.out = append(w.out, b...)
}

func (w *hashWriter) writeString(s string) {
	_, _ = io.WriteString(w.h, s)
	w.out = append(w.out, s...)
}

// head writes a field's tag and, for a length-delimited field, its length.
func (w *hashWriter) head(num protowire.Number, typ protowire.Type, length int) {
	w.buf = protowire.AppendTag(w.buf[:0], num, typ)
	if typ == protowire.BytesType {
		w.buf = protowire.AppendVarint(w.buf, uint64(length))
	}
	w.write(w.buf)
}

// string writes a proto3 string field, omitted when empty.
func (w *hashWriter) string(num protowire.Number, s string) {
	if s != "" {
		w.head(num, protowire.BytesType, len(s))
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
	w.head(num, protowire.BytesType, len(msg))
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
	size := stringSize(1, l.Name) + varintSize(2, uint64(l.Port)) + varintSize(3, uint64(l.Protocol)) + stringSize(4, l.Hostname)
	if l.Tls != nil {
		size += messageSize(5, len(tls))
	}
	vhSizes := make([]int, len(l.VirtualHosts))
	for i, vh := range l.VirtualHosts {
		vhSizes[i] = virtualHostSize(vh, routes[vh])
		size += messageSize(6, vhSizes[i])
	}
	w.head(4, protowire.BytesType, size)
	w.string(1, l.Name)
	w.varint(2, uint64(l.Port))
	w.varint(3, uint64(l.Protocol))
	w.string(4, l.Hostname)
	if l.Tls != nil {
		w.message(5, tls)
	}
	for i, vh := range l.VirtualHosts {
		w.head(6, protowire.BytesType, vhSizes[i])
		w.string(1, vh.Name)
		for _, d := range vh.Domains {
			w.head(2, protowire.BytesType, len(d))
			w.writeString(d)
		}
		for _, rb := range routeEncodings(vh, routes[vh]) {
			w.message(3, rb)
		}
	}
	return nil
}

// routeEncodings returns the encoding of each route of vh, encoding the ones missing.
func routeEncodings(vh *snapshotv1.VirtualHost, encoded [][]byte) [][]byte {
	if len(encoded) == len(vh.Routes) {
		return encoded
	}
	out := make([][]byte, len(vh.Routes))
	for i, r := range vh.Routes {
		out[i] = encodeRoute(r)
	}
	return out
}

func virtualHostSize(vh *snapshotv1.VirtualHost, encoded [][]byte) int {
	size := stringSize(1, vh.Name)
	for _, d := range vh.Domains {
		size += messageSize(2, len(d))
	}
	for _, rb := range routeEncodings(vh, encoded) {
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
