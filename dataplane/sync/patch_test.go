package sync

import (
	"errors"
	"net"
	gosync "sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// layoutApplier accepts snapshots with at least one listener, from their encoding.
type layoutApplier struct {
	listenerApplier
	mu      gosync.Mutex
	encoded []byte
	applied int
}

func (a *layoutApplier) ApplyLayout(l *snapshotv1.Layout, enc []byte) error {
	if len(l.Listeners) == 0 {
		return errors.New("snapshot has no listener")
	}
	a.mu.Lock()
	a.encoded, a.applied = enc, a.applied+1
	a.mu.Unlock()
	a.listenerApplier.mu.Lock()
	a.version = l.Version
	a.listenerApplier.mu.Unlock()
	return nil
}

func (a *layoutApplier) Encoding() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.encoded
}

// encoded is snapshot's encoding, version first as the controller writes it.
func encoded(t *testing.T, s *snapshotv1.Snapshot) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	require.NoError(t, err)
	return b
}

// TestClientAppliesPatches: a proxy that reads patches says so, applies a whole one and
// one against what it serves, asks for the snapshot whole when a patch is against
// another version or does not make its version, and rejects a bad snapshot.
func TestClientAppliesPatches(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := newController()
	defer serve(t, c, lis).Stop()
	a := &layoutApplier{}
	client := startClient(t, lis.Addr().String(), insecure.NewCredentials(), a)
	require.True(t, recv(t, c.hellos).GetAcceptsPatches())

	v1, v2 := snapshot(t, "ai-gateway", 1), snapshot(t, "ai-gateway", 2)
	enc1, enc2 := encoded(t, v1), encoded(t, v2)
	whole, err := snapshotv1.MakePatch(nil, "", enc1)
	require.NoError(t, err)
	c.patches <- whole
	require.Equal(t, v1.GetVersion(), recv(t, c.answers).GetAck().GetVersion())
	require.Equal(t, enc1, a.Encoding())

	other, err := snapshotv1.MakePatch(enc2, v2.GetVersion(), enc1)
	require.NoError(t, err)
	c.patches <- other
	ans := recv(t, c.answers).GetNack()
	require.True(t, ans.GetResendWhole(), "a patch against a version not served")
	require.Contains(t, ans.GetError(), "this proxy serves")

	p, err := snapshotv1.MakePatch(enc1, v1.GetVersion(), enc2)
	require.NoError(t, err)
	corrupt := proto.CloneOf(p)
	corrupt.Pieces = append(corrupt.Pieces, &snapshotv1.PatchPiece{Literal: []byte{0x12, 0}})
	c.patches <- corrupt
	ans = recv(t, c.answers).GetNack()
	require.True(t, ans.GetResendWhole(), "a patch not making its version")
	require.Contains(t, ans.GetError(), "hashes to")
	require.Equal(t, v1.GetVersion(), a.Version())

	c.patches <- p
	require.Equal(t, v2.GetVersion(), recv(t, c.answers).GetAck().GetVersion())
	require.Equal(t, enc2, a.Encoding())

	empty := snapshot(t, "ai-gateway", 0)
	bad, err := snapshotv1.MakePatch(enc2, v2.GetVersion(), encoded(t, empty))
	require.NoError(t, err)
	c.patches <- bad
	ans = recv(t, c.answers).GetNack()
	require.False(t, ans.GetResendWhole(), "a snapshot that is wrong is rejected, not asked again")
	require.Contains(t, ans.GetError(), "no listener")
	require.Equal(t, v2.GetVersion(), a.Version())

	require.Equal(t, 2, a.applied)
	require.Equal(t, 1.0, testutil.ToFloat64(client.metrics.nacks))
	require.Equal(t, 2.0, testutil.ToFloat64(client.metrics.wholeAsked))
}
