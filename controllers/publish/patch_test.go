package publish

import (
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// encodedSnapshot is a versioned snapshot of gw with n routes on one listener, the
// route named changed having a path of its own, and its encoding.
func encodedSnapshot(t *testing.T, gw types.NamespacedName, n int, changed string) (*snapshotv1.Snapshot, []byte) {
	t.Helper()
	vh := &snapshotv1.VirtualHost{Name: "any", Domains: []string{"*"}}
	for i := range n {
		r := &snapshotv1.Route{Name: "route-" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		if r.Name == changed {
			r.Match = &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Value: "/changed"}}
		}
		vh.Routes = append(vh.Routes, r)
	}
	s := &snapshotv1.Snapshot{
		GatewayNamespace: gw.Namespace, GatewayName: gw.Name,
		Listeners: []*snapshotv1.Listener{{Name: "http", Port: 8080, Protocol: snapshotv1.Protocol_HTTP, VirtualHosts: []*snapshotv1.VirtualHost{vh}}},
	}
	require.NoError(t, snapshotv1.SetVersion(s))
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	require.NoError(t, err)
	return s, enc
}

func recvPatch(t *testing.T, st *stream) *snapshotv1.SnapshotPatch {
	t.Helper()
	select {
	case p := <-st.patches:
		return p
	case s := <-st.snaps:
		t.Fatalf("received a snapshot (%s) where a patch was expected", s.GetVersion())
	case err := <-st.errs:
		t.Fatalf("stream failed: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no patch within 5s")
	}
	return nil
}

// TestStreamSendsPatches: a proxy accepting patches receives its first snapshot whole,
// then each new one as a patch against the one it has, and whole again when it asks,
// which the rollout does not count as a rejection. A proxy that does not accept
// patches receives snapshots.
func TestStreamSendsPatches(t *testing.T) {
	h := startServer(t, memoryBundle(t))
	c := h.dial(t, nil)
	v1, enc1 := encodedSnapshot(t, gwKey, 300, "")
	require.True(t, h.store.SetEncoded(gwKey, v1, enc1))

	first := hello(gwKey, "proxy-a", "")
	first.GetHello().AcceptsPatches = true
	st := open(t, c, first)
	p := recvPatch(t, st)
	require.Empty(t, p.GetBaseVersion(), "a proxy serving nothing gets the snapshot whole")
	got, err := snapshotv1.ApplyPatch(nil, p, 1<<20)
	require.NoError(t, err)
	require.Equal(t, enc1, got)
	require.NoError(t, st.Send(ack(v1.GetVersion())))

	old := open(t, c, hello(gwKey, "proxy-b", ""))
	s, err := recv(t, old, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, v1.GetVersion(), s.GetVersion(), "a proxy not accepting patches gets snapshots")

	v2, enc2 := encodedSnapshot(t, gwKey, 300, "route-ab")
	require.True(t, h.store.SetEncoded(gwKey, v2, enc2))
	p = recvPatch(t, st)
	require.Equal(t, v1.GetVersion(), p.GetBaseVersion())
	require.Less(t, proto.Size(p), len(enc2)/10, "one route of 300 changed: the patch is a small part of the snapshot")
	got, err = snapshotv1.ApplyPatch(enc1, p, 1<<20)
	require.NoError(t, err)
	require.Equal(t, enc2, got)
	s, err = recv(t, old, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, v2.GetVersion(), s.GetVersion())

	require.NoError(t, st.Send(&snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Nack{Nack: &snapshotv1.Nack{
		Version: v2.GetVersion(), Error: "the patch is against another version", ResendWhole: true,
	}}}))
	p = recvPatch(t, st)
	require.Empty(t, p.GetBaseVersion(), "asked for it whole")
	require.Equal(t, v2.GetVersion(), p.GetVersion())
	require.NoError(t, st.Send(ack(v2.GetVersion())))
	require.Eventually(t, func() bool { return h.tracker.Rollout(gwKey, v2.GetVersion()).Acked == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Empty(t, h.tracker.Rollout(gwKey, v2.GetVersion()).Rejections, "asking for a snapshot whole is no rejection")

	reconnect := hello(gwKey, "proxy-c", v1.GetVersion())
	reconnect.GetHello().AcceptsPatches = true
	p = recvPatch(t, open(t, c, reconnect))
	require.Equal(t, v1.GetVersion(), p.GetBaseVersion(), "a proxy reconnecting with a kept version gets a patch against it")
}

// TestStoreFreesEncodingsItNoLongerKeeps sets many snapshots in turn and requires every
// encoding but the current one and the keptEncodings before it to be garbage.
func TestStoreFreesEncodingsItNoLongerKeeps(t *testing.T) {
	gw := types.NamespacedName{Namespace: "ns", Name: "gw"}
	s := NewStore()
	const sets = 12
	var encodings []weak.Pointer[byte]
	for i := range sets {
		snap, enc := encodedSnapshot(t, gw, 30, "route-"+string(rune('a'+i))+"a")
		require.True(t, s.SetEncoded(gw, snap, enc))
		encodings = append(encodings, weak.Make(&enc[0]))
	}
	runtime.GC()
	for i, w := range encodings {
		kept := i >= sets-1-keptEncodings
		require.Equal(t, kept, w.Value() != nil, "encoding %d of %d: kept %v", i, sets, kept)
	}
	runtime.KeepAlive(s)
}
