package proxy_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/proxy"
	dpsync "github.com/claimgate/claimgate/dataplane/sync"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// snapshotService is a controller's SnapshotService reduced to what the test drives:
// it streams the snapshots the test queues and hands back every Ack and Nack.
type snapshotService struct {
	snapshotv1.UnimplementedSnapshotServiceServer
	send    chan *snapshotv1.Snapshot
	answers chan *snapshotv1.StreamRequest
}

func (c *snapshotService) Stream(st grpc.BidiStreamingServer[snapshotv1.StreamRequest, snapshotv1.StreamResponse]) error {
	if _, err := st.Recv(); err != nil { // hello
		return err
	}
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
		case <-st.Context().Done():
			return nil
		}
	}
}

// TestControllerStreamDrivesTheProxy: snapshots from the SnapshotService are served and
// acknowledged; a bad one is refused with the proxy's reason while the good one serves on.
func TestControllerStreamDrivesTheProxy(t *testing.T) {
	fake := fakellm.New(fakellm.Config{})
	fake.Start()
	defer fake.Close()
	svc := &snapshotService{send: make(chan *snapshotv1.Snapshot, 4), answers: make(chan *snapshotv1.StreamRequest, 4)}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer()
	snapshotv1.RegisterSnapshotServiceServer(gs, svc)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()

	auth := authn.New(authn.Config{Logger: logr.Discard()})
	srv, err := proxy.New(proxy.Config{Authenticator: auth, Logger: logr.Discard(), ListenHost: "127.0.0.1"})
	require.NoError(t, err)
	client, err := dpsync.NewClient(dpsync.ClientConfig{
		Address: lis.Addr().String(), Credentials: insecure.NewCredentials(),
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway", Instance: "p0", Applier: srv, Logger: logr.Discard(),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{auth.Start, srv.Start, client.Start} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	port := freePort(t)
	good := tutorial(t, port, fake.HostPort(), true, true)
	require.NoError(t, snapshotv1.SetVersion(good))
	svc.send <- good
	require.Equal(t, good.GetVersion(), waitAnswer(t, svc.answers).GetAck().GetVersion())

	bad := tutorial(t, port, fake.HostPort(), true, true)
	bad.Listeners[0].VirtualHosts[0].Routes[0].Backends[0].Upstream = "upstream:gloo-system/missing"
	require.NoError(t, snapshotv1.SetVersion(bad))
	svc.send <- bad
	nack := waitAnswer(t, svc.answers).GetNack()
	require.Equal(t, bad.GetVersion(), nack.GetVersion())
	require.Contains(t, nack.GetError(), "backend upstream:gloo-system/missing is not an upstream of the snapshot")
	require.Equal(t, good.GetVersion(), srv.Version())

	h := &harness{t: t, base: "http://127.0.0.1:" + itoa(port)}
	resp, body := h.do(http.MethodPost, "/openai", tokens.Alice(t), `{"model":"m"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = h.do(http.MethodPost, "/openai", tokens.Bob(t), `{"model":"m"}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, body)
}

func waitAnswer(t *testing.T, ch <-chan *snapshotv1.StreamRequest) *snapshotv1.StreamRequest {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no answer from the proxy")
		return nil
	}
}
