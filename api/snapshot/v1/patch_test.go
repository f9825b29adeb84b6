package snapshotv1

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// withRoutes is a versioned snapshot of one listener whose virtual host has a route per
// name, each with a path of its own, and the encoding as the controller writes it.
func withRoutes(t testing.TB, names ...string) (*Snapshot, []byte) {
	t.Helper()
	vh := &VirtualHost{Name: "any", Domains: []string{"*"}}
	for _, n := range names {
		vh.Routes = append(vh.Routes, &Route{Name: n, Match: &RouteMatch{Path: &PathMatch{Type: PathMatchType_PATH_PREFIX, Value: "/" + n}}})
	}
	s := &Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*Listener{{Name: "http", Port: 8080, Protocol: Protocol_HTTP, VirtualHosts: []*VirtualHost{vh}}},
		Upstreams: []*Upstream{{Name: "openai"}},
	}
	require.NoError(t, SetVersion(s))
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	require.NoError(t, err)
	return s, enc
}

func routeNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("route-%04d", i)
	}
	return out
}

// TestPatchMakesTheNextEncoding: whatever changed, applying the patch to the base gives
// the next encoding byte for byte, and a change to one route of many sends about that
// route only.
func TestPatchMakesTheNextEncoding(t *testing.T) {
	names := routeNames(200)
	base, baseEnc := withRoutes(t, names...)
	changed := slices.Clone(names)
	changed[100] = "renamed"
	tests := map[string][]string{
		"one route changed":  changed,
		"one route inserted": slices.Insert(slices.Clone(names), 50, "new"),
		"one route removed":  slices.Delete(slices.Clone(names), 10, 11),
		"order reversed":     func() []string { r := slices.Clone(names); slices.Reverse(r); return r }(),
		"every route new":    {"a", "b"},
		"no route left":      nil,
		"nothing changed":    names,
	}
	for name, next := range tests {
		t.Run(name, func(t *testing.T) {
			_, nextEnc := withRoutes(t, next...)
			p, err := MakePatch(baseEnc, base.GetVersion(), nextEnc)
			require.NoError(t, err)
			require.Equal(t, base.GetVersion(), p.GetBaseVersion())
			got, err := ApplyPatch(baseEnc, p, 1<<20)
			require.NoError(t, err)
			require.Equal(t, nextEnc, got)
			if name == "one route changed" {
				literal := 0
				for _, pc := range p.GetPieces() {
					literal += len(pc.GetLiteral())
				}
				require.Less(t, literal, 200, "literal bytes of a one-route change")
				require.LessOrEqual(t, len(p.GetPieces()), 5)
			}
		})
	}
}

func TestPatchWithoutBaseIsTheWholeEncoding(t *testing.T) {
	s, enc := withRoutes(t, routeNames(3)...)
	p, err := MakePatch(nil, "", enc)
	require.NoError(t, err)
	require.Empty(t, p.GetBaseVersion())
	require.Equal(t, s.GetVersion(), p.GetVersion())
	got, err := ApplyPatch(nil, p, 1<<20)
	require.NoError(t, err)
	require.Equal(t, enc, got)
}

// TestApplyPatchRefuses: a patch that does not make its version, reads outside its
// base or makes too much is an error naming what is wrong.
func TestApplyPatchRefuses(t *testing.T) {
	base, baseEnc := withRoutes(t, routeNames(20)...)
	_, nextEnc := withRoutes(t, append(routeNames(20), "more")...)
	good, err := MakePatch(baseEnc, base.GetVersion(), nextEnc)
	require.NoError(t, err)
	tests := map[string]struct {
		edit func(p *SnapshotPatch)
		base []byte
		want string
	}{
		"another base's bytes": {base: bytes.Replace(baseEnc, []byte("route-0005"), []byte("route-000X"), 1), want: "hashes to"},
		"range past the base": {edit: func(p *SnapshotPatch) {
			p.Pieces = append(p.Pieces, &PatchPiece{BaseOffset: uint64(len(baseEnc)), BaseLength: 1})
		}, want: "outside the base"},
		"empty piece":          {edit: func(p *SnapshotPatch) { p.Pieces = append(p.Pieces, &PatchPiece{}) }, want: "neither literal bytes nor a range"},
		"range without a base": {edit: func(p *SnapshotPatch) { p.BaseVersion = "" }, want: "a range without a base version"},
		"another version":      {edit: func(p *SnapshotPatch) { p.Version = base.GetVersion() }, want: "version field is not"},
		"too large":            {edit: func(p *SnapshotPatch) { p.Pieces = append(p.Pieces, &PatchPiece{Literal: make([]byte, 1<<20)}) }, want: "more than"},
		"no version field":     {edit: func(p *SnapshotPatch) { p.Pieces = []*PatchPiece{{Literal: []byte{0x12, 0}}} }, want: "does not start with its version"},
		"huge range, no wrap":  {edit: func(p *SnapshotPatch) { p.Pieces[0] = &PatchPiece{BaseOffset: 1, BaseLength: ^uint64(0)} }, want: "outside the base"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := proto.CloneOf(good)
			if tc.edit != nil {
				tc.edit(p)
			}
			b := baseEnc
			if tc.base != nil {
				b = tc.base
			}
			_, err := ApplyPatch(b, p, 1<<20)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// FuzzPatch: any patch against any base either makes bytes hashing to its version or
// is refused; it never panics nor reads outside the base.
func FuzzPatch(f *testing.F) {
	base, baseEnc := withRoutes(f, routeNames(5)...)
	_, nextEnc := withRoutes(f, routeNames(6)...)
	p, err := MakePatch(baseEnc, base.GetVersion(), nextEnc)
	require.NoError(f, err)
	seed, err := proto.Marshal(p)
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &SnapshotPatch{}
		if proto.Unmarshal(b, p) != nil {
			return
		}
		out, err := ApplyPatch(baseEnc, p, 1<<16)
		if err != nil {
			return
		}
		require.NoError(t, CheckVersion(out, p.GetVersion()))
	})
}

// BenchmarkMakePatch writes a 10,000-route snapshot as a patch: with one route changed,
// and with 20 routes inserted, past what is looked for near where routes were.
func BenchmarkMakePatch(b *testing.B) {
	names := routeNames(10000)
	base, baseEnc := withRoutes(b, names...)
	changed := slices.Clone(names)
	changed[5000] = "changed"
	inserted := slices.Clone(names)
	for i := range 20 {
		at := 500 * (i + 1)
		inserted = slices.Insert(inserted, at, fmt.Sprintf("inserted-%d", i))
	}
	for _, c := range []struct {
		name  string
		names []string
	}{{"one-changed", changed}, {"20-inserted", inserted}} {
		_, nextEnc := withRoutes(b, c.names...)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := MakePatch(baseEnc, base.GetVersion(), nextEnc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
