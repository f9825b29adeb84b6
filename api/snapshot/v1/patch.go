package snapshotv1

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// versionFieldSize is the size of a version field written first: tag, length and the
// hex SHA-256.
const versionFieldSize = 1 + 1 + 2*sha256.Size

// MakePatch writes next, the encoding of a snapshot, as pieces of a SnapshotPatch
// against base, the encoding of the snapshot baseVersion: every route of next whose
// bytes base holds (anywhere) is a range of base, consecutive ranges are one, and the
// rest is literal. A nil base gives one literal piece (the whole snapshot).
// Routes are found in base with a RouteFinder.
func MakePatch(base []byte, baseVersion string, next []byte) (*SnapshotPatch, error) {
	nl, err := ReadLayout(next)
	if err != nil {
		return nil, err
	}
	p := &SnapshotPatch{Version: nl.Version}
	if base == nil {
		p.Pieces = []*PatchPiece{{Literal: next}}
		return p, nil
	}
	bl, err := ReadLayout(base)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	p.BaseVersion = baseVersion
	w := patchWriter{p: p, next: next}
	fields := bl.routeFields
	find := NewRouteFinder(len(fields), func(i int) []byte { return base[fields[i].start:fields[i].end] })
	for _, f := range nl.routeFields {
		i, ok := find.Find(next[f.start:f.end])
		if !ok {
			continue // literal, written with what follows
		}
		w.literalTo(f.start)
		w.copy(fields[i].start, f.end-f.start)
		w.pos = f.end
	}
	w.literalTo(len(next))
	return p, nil
}

// RouteFinder finds the routes of a new snapshot, taken in order, among the n routes
// of an old one (old(i) is the encoding of the i-th): near the route after the last one
// found first (at it, just after: routes removed, just before: routes inserted), and
// only past maxNearbyMisses routes not found nearby in an index of every old route by
// its bytes. A change to a few routes of thousands compares each route's bytes once and
// hashes none; a snapshot reordered costs one index. MakePatch and the proxy's reuse
// of compiled routes both find routes so.
type RouteFinder struct {
	n      int
	old    func(i int) []byte
	next   int
	misses int
	index  map[string]int
}

// maxNearbyMisses is how many routes may be looked for in vain near where they were
// before the rest are looked up in the index.
const maxNearbyMisses = 8

// NewRouteFinder finds routes among the n old ones, old(i) being the i-th's encoding,
// which must not change while the finder is in use.
func NewRouteFinder(n int, old func(i int) []byte) *RouteFinder {
	return &RouteFinder{n: n, old: old}
}

// Find returns the position of an old route encoded as b.
func (f *RouteFinder) Find(b []byte) (int, bool) {
	for _, d := range [...]int{0, 1, 2, -1, -2} {
		if i := f.next + d; i >= 0 && i < f.n && string(f.old(i)) == string(b) {
			f.next = i + 1
			return i, true
		}
	}
	f.next++ // taken as replaced
	if f.misses++; f.misses <= maxNearbyMisses {
		return 0, false
	}
	if f.index == nil {
		// The keys are the old encodings themselves, not copies: they are not modified
		// while the finder is in use.
		f.index = make(map[string]int, f.n)
		for i := range f.n {
			old := f.old(i)
			key := unsafe.String(unsafe.SliceData(old), len(old)) //nolint:gosec // a view of bytes not modified while the finder lives
			if _, dup := f.index[key]; !dup {
				f.index[key] = i
			}
		}
	}
	i, ok := f.index[string(b)]
	if ok {
		f.next = i + 1
	}
	return i, ok
}

// patchWriter appends pieces to p, next[pos:] being what is not written yet.
type patchWriter struct {
	p    *SnapshotPatch
	next []byte
	pos  int
}

func (w *patchWriter) literalTo(end int) {
	if end > w.pos {
		w.p.Pieces = append(w.p.Pieces, &PatchPiece{Literal: w.next[w.pos:end]})
	}
	w.pos = end
}

func (w *patchWriter) copy(off, n int) {
	if k := len(w.p.Pieces); k > 0 {
		last := w.p.Pieces[k-1]
		if last.Literal == nil && last.BaseOffset+last.BaseLength == uint64(off) {
			last.BaseLength += uint64(n)
			return
		}
	}
	w.p.Pieces = append(w.p.Pieces, &PatchPiece{BaseOffset: uint64(off), BaseLength: uint64(n)})
}

// ApplyPatch makes the encoding p describes from base, the encoding of the snapshot
// p.BaseVersion (ignored when p has no base), and checks that it is the snapshot
// p.Version (CheckVersion). The result is at most limit bytes.
func ApplyPatch(base []byte, p *SnapshotPatch, limit int) ([]byte, error) {
	size := 0
	for i, pc := range p.GetPieces() {
		n, err := pieceSize(pc, len(base), p.GetBaseVersion() != "")
		if err != nil {
			return nil, fmt.Errorf("patch piece %d: %w", i, err)
		}
		if size += n; size > limit {
			return nil, fmt.Errorf("patch makes more than %d bytes", limit)
		}
	}
	out := make([]byte, 0, size)
	for _, pc := range p.GetPieces() {
		if len(pc.GetLiteral()) > 0 {
			out = append(out, pc.GetLiteral()...)
		} else {
			out = append(out, base[pc.GetBaseOffset():pc.GetBaseOffset()+pc.GetBaseLength()]...)
		}
	}
	if err := CheckVersion(out, p.GetVersion()); err != nil {
		return nil, err
	}
	return out, nil
}

func pieceSize(pc *PatchPiece, baseLen int, hasBase bool) (int, error) {
	switch {
	case len(pc.GetLiteral()) > 0:
		return len(pc.GetLiteral()), nil
	case !hasBase:
		return 0, errors.New("a range without a base version")
	case pc.GetBaseLength() == 0:
		return 0, errors.New("neither literal bytes nor a range")
	case pc.GetBaseOffset() > uint64(baseLen) || pc.GetBaseLength() > uint64(baseLen)-pc.GetBaseOffset():
		return 0, fmt.Errorf("range [%d, +%d) is outside the base's %d bytes", pc.GetBaseOffset(), pc.GetBaseLength(), baseLen)
	}
	return int(pc.GetBaseLength()), nil
}

// CheckVersion checks that enc, a snapshot's encoding with its version field first as
// the controller writes it, is the snapshot version: the hex SHA-256 of the encoding
// without that field.
func CheckVersion(enc []byte, version string) error {
	num, typ, n := protowire.ConsumeTag(enc)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		return errors.New("the encoding does not start with its version")
	}
	v, m := protowire.ConsumeString(enc[n:])
	if m < 0 || n+m != versionFieldSize || v != version {
		return fmt.Errorf("the encoding's version field is not %q", version)
	}
	sum := sha256.Sum256(enc[versionFieldSize:])
	if got := hex.EncodeToString(sum[:]); got != version {
		return fmt.Errorf("the encoding hashes to %s, not to its version %s", got, version)
	}
	return nil
}
