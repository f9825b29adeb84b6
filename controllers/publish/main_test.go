package publish

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env) }

func newNamespace(t *testing.T) string { return env.Namespace(t) }

// memoryBundle issues a CA, a server certificate for localhost and 127.0.0.1 and a client
// certificate without touching the API.
func memoryBundle(t *testing.T) *Bundle {
	t.Helper()
	now := time.Now()
	ca, err := newAuthority(now, 10*365*24*time.Hour)
	require.NoError(t, err)
	server, err := ca.issue("server", []string{"localhost", "127.0.0.1"}, x509.ExtKeyUsageServerAuth, now, time.Hour)
	require.NoError(t, err)
	client, err := ca.issue("client", nil, x509.ExtKeyUsageClientAuth, now, time.Hour)
	require.NoError(t, err)
	return &Bundle{CA: ca.pair.cert, CAKey: ca.pair.key, ServerCert: server.cert, ServerKey: server.key, ClientCert: client.cert, ClientKey: client.key}
}

// harness is a running Server on loopback with its store and tracker.
type harness struct {
	store   *Store
	tracker *Tracker
	server  *Server
	bundle  *Bundle
	changes chan struct{}
}

func startServer(t *testing.T, b *Bundle) *harness {
	t.Helper()
	tlsCfg, err := b.ServerTLS()
	require.NoError(t, err)
	h := &harness{store: NewStore(), bundle: b, changes: make(chan struct{}, 100)}
	h.tracker = NewTracker(nil, func() {
		select {
		case h.changes <- struct{}{}:
		default:
		}
	})
	h.server, err = New(Config{Address: "127.0.0.1:0", TLS: tlsCfg, Store: h.store, Tracker: h.tracker, Logger: testr.New(t)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.server.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return h
}

// dial opens a client connection with creds (the bundle's client identity when nil).
func (h *harness) dial(t *testing.T, creds credentials.TransportCredentials) snapshotv1.SnapshotServiceClient {
	t.Helper()
	if creds == nil {
		cfg, err := h.bundle.ClientTLS("localhost")
		require.NoError(t, err)
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(h.server.Addr().String(), grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(DefaultMaxMessageBytes)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return snapshotv1.NewSnapshotServiceClient(conn)
}
