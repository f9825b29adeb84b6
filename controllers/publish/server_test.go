package publish

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

var gwKey = types.NamespacedName{Namespace: "gloo-system", Name: "ai-gateway"}

// snapshot builds a versioned snapshot of gw with one listener named name.
func snapshot(t *testing.T, gw types.NamespacedName, name string) *snapshotv1.Snapshot {
	t.Helper()
	s := &snapshotv1.Snapshot{
		GatewayNamespace: gw.Namespace, GatewayName: gw.Name,
		Listeners: []*snapshotv1.Listener{{Name: name, Port: 8080, Protocol: snapshotv1.Protocol_HTTP}},
	}
	require.NoError(t, snapshotv1.SetVersion(s))
	return s
}

func hello(gw types.NamespacedName, instance, current string) *snapshotv1.StreamRequest {
	return &snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Hello{Hello: &snapshotv1.Hello{
		GatewayNamespace: gw.Namespace, GatewayName: gw.Name, Instance: instance, CurrentVersion: current,
	}}}
}

func ack(v string) *snapshotv1.StreamRequest {
	return &snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Ack{Ack: &snapshotv1.Ack{Version: v}}}
}

func nack(v, msg string) *snapshotv1.StreamRequest {
	return &snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Nack{Nack: &snapshotv1.Nack{Version: v, Error: msg}}}
}

// stream is a client stream whose messages a goroutine receives.
type stream struct {
	snapshotv1.SnapshotService_StreamClient
	snaps   chan *snapshotv1.Snapshot
	patches chan *snapshotv1.SnapshotPatch
	errs    chan error
}

// open starts a stream and sends first.
func open(t *testing.T, c snapshotv1.SnapshotServiceClient, first *snapshotv1.StreamRequest) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := c.Stream(ctx)
	require.NoError(t, err)
	require.NoError(t, st.Send(first))
	s := &stream{
		SnapshotService_StreamClient: st, snaps: make(chan *snapshotv1.Snapshot, 16),
		patches: make(chan *snapshotv1.SnapshotPatch, 16), errs: make(chan error, 1),
	}
	go func() {
		for {
			r, err := st.Recv()
			if err != nil {
				s.errs <- err
				return
			}
			if r.GetPatch() != nil {
				s.patches <- r.GetPatch()
				continue
			}
			s.snaps <- r.GetSnapshot()
		}
	}()
	return s
}

// recv waits up to wait for the next snapshot; it returns nil, nil when none came.
func recv(t *testing.T, st *stream, wait time.Duration) (*snapshotv1.Snapshot, error) {
	t.Helper()
	select {
	case s := <-st.snaps:
		return s, nil
	case err := <-st.errs:
		return nil, err
	case <-time.After(wait):
		return nil, nil
	}
}

func TestStreamRejectsBadFirstMessage(t *testing.T) {
	h := startServer(t, memoryBundle(t))
	c := h.dial(t, nil)
	tests := map[string]struct {
		first   *snapshotv1.StreamRequest
		wantMsg string
	}{
		"ack before hello":     {first: ack("v1"), wantMsg: "first message of a stream must be a Hello"},
		"hello without a name": {first: hello(types.NamespacedName{Namespace: "ns"}, "p", ""), wantMsg: "gateway_namespace and gateway_name are required"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := open(t, c, tc.first)
			_, err := recv(t, st, 5*time.Second)
			require.Equal(t, codes.InvalidArgument, status.Code(err))
			require.Contains(t, status.Convert(err).Message(), tc.wantMsg)
		})
	}
}

func TestStreamSendsOnlyNewVersionsAndTracksAcks(t *testing.T) {
	h := startServer(t, memoryBundle(t))
	c := h.dial(t, nil)
	v1 := snapshot(t, gwKey, "http")
	require.True(t, h.store.Set(gwKey, v1))
	require.False(t, h.store.Set(gwKey, snapshot(t, gwKey, "http")), "same content, same version: nothing to send")

	fresh := open(t, c, hello(gwKey, "proxy-a", ""))
	got, err := recv(t, fresh, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, v1.GetVersion(), got.GetVersion())
	require.Equal(t, "http", got.GetListeners()[0].GetName())

	serving := open(t, c, hello(gwKey, "proxy-b", v1.GetVersion()))
	got, err = recv(t, serving, 300*time.Millisecond)
	require.NoError(t, err)
	require.Nil(t, got, "a proxy serving the current version gets nothing")
	require.Eventually(t, func() bool { return h.tracker.Rollout(gwKey, v1.GetVersion()).Connected == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, Rollout{Connected: 2, Acked: 1}, h.tracker.Rollout(gwKey, v1.GetVersion()), "proxy-b said it serves v1, proxy-a has not answered")

	require.NoError(t, fresh.Send(ack(v1.GetVersion())))
	require.Eventually(t, func() bool { return h.tracker.Rollout(gwKey, v1.GetVersion()).Acked == 2 }, 5*time.Second, 10*time.Millisecond)

	v2 := snapshot(t, gwKey, "http-2")
	require.True(t, h.store.Set(gwKey, v2))
	for _, st := range []*stream{fresh, serving} {
		got, err := recv(t, st, 5*time.Second)
		require.NoError(t, err)
		require.Equal(t, v2.GetVersion(), got.GetVersion())
	}
	require.NoError(t, fresh.Send(ack(v2.GetVersion())))
	require.NoError(t, serving.Send(nack(v2.GetVersion(), "listener http-2: port 8080 is in use")))
	require.Eventually(t, func() bool {
		r := h.tracker.Rollout(gwKey, v2.GetVersion())
		return r.Acked == 1 && len(r.Rejections) == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, Rollout{Connected: 2, Acked: 1, Rejections: []Rejection{{Instance: "proxy-b", Error: "listener http-2: port 8080 is in use"}}},
		h.tracker.Rollout(gwKey, v2.GetVersion()))

	require.NoError(t, serving.CloseSend())
	require.Eventually(t, func() bool { return h.tracker.Rollout(gwKey, v2.GetVersion()).Connected == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NotEmpty(t, h.changes, "the tracker notified its listener")
}

func TestStreamStopsAfterDelete(t *testing.T) {
	h := startServer(t, memoryBundle(t))
	c := h.dial(t, nil)
	other := types.NamespacedName{Namespace: "team-b", Name: "other"}
	require.True(t, h.store.Set(gwKey, snapshot(t, gwKey, "http")))
	st := open(t, c, hello(other, "proxy-a", ""))
	got, err := recv(t, st, 300*time.Millisecond)
	require.NoError(t, err)
	require.Nil(t, got, "no snapshot of another Gateway is sent")

	v1 := snapshot(t, other, "http")
	h.store.Set(other, v1)
	got, err = recv(t, st, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, v1.GetVersion(), got.GetVersion())

	h.store.Delete(other)
	require.Nil(t, h.store.Get(other))
	require.Equal(t, []types.NamespacedName{gwKey}, h.store.Gateways())
	late := open(t, c, hello(other, "proxy-b", ""))
	got, err = recv(t, late, 300*time.Millisecond)
	require.NoError(t, err)
	require.Nil(t, got, "a deleted Gateway's snapshot is no longer published")

	v2 := snapshot(t, other, "http-again")
	h.store.Set(other, v2)
	got, err = recv(t, late, 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, v2.GetVersion(), got.GetVersion())
}

func TestStreamCarriesLargeSnapshots(t *testing.T) {
	h := startServer(t, memoryBundle(t))
	c := h.dial(t, nil)
	s := &snapshotv1.Snapshot{GatewayNamespace: gwKey.Namespace, GatewayName: gwKey.Name}
	vh := &snapshotv1.VirtualHost{Name: "all", Domains: []string{"*"}}
	for i := range 10000 {
		vh.Routes = append(vh.Routes, &snapshotv1.Route{
			Name:  "team/route-" + strings.Repeat("x", 200) + "/rule/" + string(rune('a'+i%26)),
			Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Value: "/v1/" + strings.Repeat("p", 300)}},
		})
	}
	s.Listeners = []*snapshotv1.Listener{{Name: "http", Port: 8080, VirtualHosts: []*snapshotv1.VirtualHost{vh}}}
	require.NoError(t, snapshotv1.SetVersion(s))
	h.store.Set(gwKey, s)
	st := open(t, c, hello(gwKey, "big", ""))
	got, err := recv(t, st, 20*time.Second)
	require.NoError(t, err)
	require.Len(t, got.GetListeners()[0].GetVirtualHosts()[0].GetRoutes(), 10000)
}

func TestServerRequiresClientCertificate(t *testing.T) {
	b := memoryBundle(t)
	h := startServer(t, b)
	noCert, err := b.ClientTLS("localhost")
	require.NoError(t, err)
	noCert.Certificates = nil
	strangers := memoryBundle(t)
	foreign, err := strangers.ClientTLS("localhost")
	require.NoError(t, err)
	foreign.RootCAs = noCert.RootCAs // trusts our server, presents a certificate of another CA
	tests := map[string]credentials.TransportCredentials{
		"plaintext":                    insecure.NewCredentials(),
		"TLS without client cert":      credentials.NewTLS(noCert),
		"client cert from another CA":  credentials.NewTLS(foreign),
		"server not trusted by the CA": credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, ServerName: "localhost"}),
	}
	for name, creds := range tests {
		t.Run(name, func(t *testing.T) {
			h.store.Set(gwKey, snapshot(t, gwKey, "http"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := h.dial(t, creds).Stream(ctx)
			if err == nil {
				_ = st.Send(hello(gwKey, "intruder", ""))
				_, err = st.Recv()
			}
			require.Error(t, err)
			require.Equal(t, 0, h.tracker.Rollout(gwKey, "").Connected)
		})
	}
}

// TestStreamSendsTheGivenEncoding sets a snapshot with its encoding: the proxy receives
// exactly that snapshot, version included, and the stream's own messages still decode.
func TestStreamSendsTheGivenEncoding(t *testing.T) {
	h := startServer(t, memoryBundle(t))
	c := h.dial(t, nil)
	s := snapshot(t, gwKey, "encoded")
	encoded, err := proto.Marshal(s)
	require.NoError(t, err)
	require.True(t, h.store.SetEncoded(gwKey, s, encoded))
	st := open(t, c, hello(gwKey, "proxy-a", ""))
	got, err := recv(t, st, 5*time.Second)
	require.NoError(t, err)
	require.True(t, proto.Equal(s, got), "received %v", got)
	require.NoError(t, st.Send(ack(s.GetVersion())))
	require.Eventually(t, func() bool { return h.tracker.Rollout(gwKey, s.GetVersion()).Acked == 1 }, 5*time.Second, 10*time.Millisecond)
}
