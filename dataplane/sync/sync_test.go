package sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// listenerApplier accepts snapshots that have at least one listener.
type listenerApplier struct {
	mu      gosync.Mutex
	version string
}

func (a *listenerApplier) Apply(s *snapshotv1.Snapshot) error {
	if len(s.GetListeners()) == 0 {
		return errors.New("snapshot has no listener")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.version = s.GetVersion()
	return nil
}

func (a *listenerApplier) Version() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.version
}

// controller is a SnapshotService that sends what the test queues and reports answers.
type controller struct {
	snapshotv1.UnimplementedSnapshotServiceServer
	send    chan *snapshotv1.Snapshot
	patches chan *snapshotv1.SnapshotPatch
	hellos  chan *snapshotv1.Hello
	answers chan *snapshotv1.StreamRequest
}

func newController() *controller {
	return &controller{
		send: make(chan *snapshotv1.Snapshot, 8), patches: make(chan *snapshotv1.SnapshotPatch, 8), hellos: make(chan *snapshotv1.Hello, 8),
		answers: make(chan *snapshotv1.StreamRequest, 8),
	}
}

func (c *controller) Stream(st grpc.BidiStreamingServer[snapshotv1.StreamRequest, snapshotv1.StreamResponse]) error {
	first, err := st.Recv()
	if err != nil {
		return err
	}
	c.hellos <- first.GetHello()
	go func() {
		for {
			m, err := st.Recv()
			if err != nil {
				return
			}
			c.answers <- m
		}
	}()
	for {
		select {
		case s := <-c.send:
			if err := st.Send(&snapshotv1.StreamResponse{Snapshot: s}); err != nil {
				return err
			}
		case p := <-c.patches:
			if err := st.Send(&snapshotv1.StreamResponse{Patch: p}); err != nil {
				return err
			}
		case <-st.Context().Done():
			return nil
		}
	}
}

func serve(t *testing.T, c *controller, lis net.Listener, opts ...grpc.ServerOption) *grpc.Server {
	t.Helper()
	srv := grpc.NewServer(opts...)
	snapshotv1.RegisterSnapshotServiceServer(srv, c)
	go func() { _ = srv.Serve(lis) }()
	return srv
}

func snapshot(t *testing.T, gwName string, listeners int) *snapshotv1.Snapshot {
	t.Helper()
	s := &snapshotv1.Snapshot{GatewayNamespace: "gloo-system", GatewayName: gwName}
	for i := range listeners {
		s.Listeners = append(s.Listeners, &snapshotv1.Listener{Name: "http", Port: uint32(8080 + i), Protocol: snapshotv1.Protocol_HTTP})
	}
	require.NoError(t, snapshotv1.SetVersion(s))
	return s
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
		var zero T
		return zero
	}
}

func startClient(t *testing.T, addr string, creds credentials.TransportCredentials, a Applier) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{
		Address: addr, Credentials: creds, GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Instance: "proxy-0", Applier: a, Logger: logr.Discard(), MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func TestClientAcksNacksAndReconnects(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	c := newController()
	srv := serve(t, c, lis)
	a := &listenerApplier{}
	client := startClient(t, addr, insecure.NewCredentials(), a)

	hello := recv(t, c.hellos)
	require.Equal(t, "ai-gateway", hello.GetGatewayName())
	require.Equal(t, "proxy-0", hello.GetInstance())
	require.Empty(t, hello.GetCurrentVersion())

	tests := []struct {
		name    string
		snap    *snapshotv1.Snapshot
		wantAck bool
		wantErr string
		serving int // index into the snapshots sent so far that must be serving
	}{
		{name: "good snapshot is acked", snap: snapshot(t, "ai-gateway", 1), wantAck: true},
		{name: "invalid snapshot is nacked", snap: snapshot(t, "ai-gateway", 0), wantErr: "no listener"},
		{name: "other gateway is nacked", snap: snapshot(t, "other", 1), wantErr: "gateway gloo-system/other"},
	}
	good := tests[0].snap.GetVersion()
	for _, tc := range tests {
		c.send <- tc.snap
		ans := recv(t, c.answers)
		if tc.wantAck {
			require.Equal(t, tc.snap.GetVersion(), ans.GetAck().GetVersion(), tc.name)
		} else {
			require.Equal(t, tc.snap.GetVersion(), ans.GetNack().GetVersion(), tc.name)
			require.Contains(t, ans.GetNack().GetError(), tc.wantErr, tc.name)
		}
		require.Equal(t, good, a.Version(), tc.name)
	}

	require.Equal(t, 2.0, testutil.ToFloat64(client.metrics.nacks))
	require.Equal(t, 1.0, testutil.ToFloat64(client.metrics.connected))

	// The controller goes away and comes back on the same address: the client says hello
	// again with the version it kept serving.
	srv.Stop()
	lis2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	c2 := newController()
	srv2 := serve(t, c2, lis2)
	defer srv2.Stop()
	hello = recv(t, c2.hellos)
	require.Equal(t, good, hello.GetCurrentVersion())
	require.GreaterOrEqual(t, testutil.ToFloat64(client.metrics.attempts), 2.0)
}

func TestClientMutualTLS(t *testing.T) {
	pki := newPKI(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := newController()
	srv := serve(t, c, lis, grpc.Creds(credentials.NewTLS(pki.serverTLS)))
	defer srv.Stop()

	creds, err := ClientCredentials(TLSFiles{CA: pki.caFile, Cert: pki.certFile, Key: pki.keyFile})
	require.NoError(t, err)
	a := &listenerApplier{}
	startClient(t, lis.Addr().String(), creds, a)
	require.Equal(t, "proxy-0", recv(t, c.hellos).GetInstance())
	c.send <- snapshot(t, "ai-gateway", 1)
	require.NotNil(t, recv(t, c.answers).GetAck())
}

func TestClientCredentialsErrors(t *testing.T) {
	pki := newPKI(t)
	tests := map[string]struct {
		files   TLSFiles
		wantErr string
	}{
		"missing files":  {files: TLSFiles{CA: pki.caFile}, wantErr: "--insecure"},
		"ca not PEM":     {files: TLSFiles{CA: pki.keyFile + ".nope", Cert: pki.certFile, Key: pki.keyFile}, wantErr: "reading CA file"},
		"ca without PEM": {files: TLSFiles{CA: writeTemp(t, "garbage"), Cert: pki.certFile, Key: pki.keyFile}, wantErr: "holds no PEM certificate"},
		"bad key pair":   {files: TLSFiles{CA: pki.caFile, Cert: pki.certFile, Key: pki.caFile}, wantErr: "loading client certificate"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ClientCredentials(tc.files)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	for i := range 20 {
		d := b.next()
		ceiling := min(100*time.Millisecond<<i, time.Second)
		require.LessOrEqual(t, d, ceiling, "attempt %d", i)
		require.GreaterOrEqual(t, d, ceiling/2, "attempt %d", i)
	}
	b.reset()
	require.LessOrEqual(t, b.next(), 100*time.Millisecond)
}

// TestClientAcceptsLargeSnapshots: a snapshot over gRPC's default 4 MiB receive limit,
// as 10,000 routes make, is applied and acknowledged.
func TestClientAcceptsLargeSnapshots(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := newController()
	srv := serve(t, c, lis, grpc.MaxSendMsgSize(MaxSnapshotBytes))
	t.Cleanup(srv.Stop)
	startClient(t, lis.Addr().String(), insecure.NewCredentials(), &listenerApplier{})
	recv(t, c.hellos)

	s := snapshot(t, "ai-gateway", 1)
	vh := &snapshotv1.VirtualHost{Name: "big", Domains: []string{"*"}}
	for i := range 80000 {
		vh.Routes = append(vh.Routes, &snapshotv1.Route{
			Name:  fmt.Sprintf("gloo-system/route-%05d/rule/0/match/0", i),
			Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Value: fmt.Sprintf("/llm/%05d/with/a/long/enough/prefix", i)}},
		})
	}
	s.Listeners[0].VirtualHosts = []*snapshotv1.VirtualHost{vh}
	require.NoError(t, snapshotv1.SetVersion(s))
	require.Greater(t, proto.Size(s), 4<<20, "the snapshot must exceed gRPC's default limit")
	c.send <- s
	ack := recv(t, c.answers)
	require.Equal(t, s.GetVersion(), ack.GetAck().GetVersion(), "nack: %s", ack.GetNack().GetError())
}
