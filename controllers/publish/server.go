package publish

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// DefaultMaxMessageBytes bounds one gRPC message each way: a snapshot of 10,000 routes
// with their policies fits with room to spare.
const DefaultMaxMessageBytes = 64 << 20

// Config configures a Server.
type Config struct {
	// Address is where the server listens (host:port; port 0 picks one).
	Address string
	// TLS is the server's mutual-TLS configuration (see Bundle.ServerTLS). Required
	// unless Insecure is set.
	TLS *tls.Config
	// Insecure serves plaintext; for local development only.
	Insecure bool
	// Store holds the snapshots to send.
	Store *Store
	// Tracker records connections, ACKs and NACKs.
	Tracker *Tracker
	// Logger logs connections and rejections.
	Logger logr.Logger
	// MaxMessageBytes bounds a message each way; DefaultMaxMessageBytes when zero.
	MaxMessageBytes int
	// ShutdownGrace is how long open streams get to end when the server stops (5s when zero).
	ShutdownGrace time.Duration
}

// Server serves SnapshotService. It is a manager Runnable that runs on the leader only.
type Server struct {
	snapshotv1.UnimplementedSnapshotServiceServer

	cfg  Config
	lis  net.Listener
	grpc *grpc.Server
	// stopping is closed when the server shuts down, ending every stream.
	stopping chan struct{}
}

// New validates cfg and opens the listening socket, so a port conflict fails at start-up
// and Addr is known before Start.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Store == nil || cfg.Tracker == nil:
		return nil, errors.New("snapshot server needs a store and a tracker")
	case cfg.TLS == nil && !cfg.Insecure:
		return nil, errors.New("snapshot server needs a TLS configuration (or Insecure for local development)")
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	creds := insecure.NewCredentials()
	if !cfg.Insecure {
		creds = credentials.NewTLS(cfg.TLS)
	}
	lis, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("listening for snapshot streams on %s: %w", cfg.Address, err)
	}
	s := &Server{cfg: cfg, lis: lis, stopping: make(chan struct{})}
	s.grpc = grpc.NewServer(
		grpc.Creds(creds),
		grpc.ForceServerCodecV2(newCodec()),
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxSendMsgSize(cfg.MaxMessageBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	snapshotv1.RegisterSnapshotServiceServer(s.grpc, s)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.lis.Addr() }

// NeedLeaderElection makes the manager start the server on the leader only.
func (s *Server) NeedLeaderElection() bool { return true }

// Start serves until ctx ends, then gives open streams ShutdownGrace to end.
func (s *Server) Start(ctx context.Context) error {
	s.cfg.Logger.Info("serving snapshots", "address", s.lis.Addr().String(), "mtls", !s.cfg.Insecure)
	done := make(chan error, 1)
	go func() { done <- s.grpc.Serve(s.lis) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving snapshots on %s: %w", s.lis.Addr(), err)
	case <-ctx.Done():
	}
	close(s.stopping)
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(s.cfg.ShutdownGrace):
		s.grpc.Stop()
	}
	return nil
}
