package proxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// Config configures a Server.
type Config struct {
	// Authenticator compiles each snapshot's JWT providers; required.
	Authenticator *authn.Authenticator
	// Transports are the upstream connection pools; nil means default-sized pools.
	Transports *llm.Transports
	// Logger logs snapshots, listeners and upstream errors.
	Logger logr.Logger
	// AccessLog receives one line per request; the zero Logger disables it.
	AccessLog logr.Logger
	// Registerer receives the proxy's metrics; nil means they are not exported.
	Registerer prometheus.Registerer
	// ListenHost is the address listeners bind to; empty means every interface.
	ListenHost string
	// InitialPorts are opened at Start and answer 503 until a snapshot arrives.
	InitialPorts []uint32
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ShutdownTimeout bounds the wait for in-flight requests when a listener closes
	// (default 15s).
	ShutdownTimeout time.Duration
	// MaxBodyBytes bounds a body read to override its model (default llm.MaxBodyBytes).
	MaxBodyBytes int64
	// MaxBufferedBodyBytes bounds the memory all request bodies read into memory hold
	// at once (default 256 MiB); past it a request that needs its body in memory is
	// answered 503 with Retry-After.
	MaxBufferedBodyBytes int64
	// BodyTimeout bounds the time a request body takes to arrive (default 60s; a
	// route's timeout, when shorter, bounds it too).
	BodyTimeout time.Duration
	// RateLimitStore keeps the rate-limit counters; nil means in this process
	// (ratelimit.NewMemoryStore with its default bound, on Now's clock).
	RateLimitStore ratelimit.Store
	// RateLimitDenyOnFail answers 500 to a request whose counters the store could not
	// count; by default such a request passes (Gloo's denyOnFail: false).
	RateLimitDenyOnFail bool
	// UsageClaim, when set, is the JWT claim (such as team) whose value labels the token
	// usage metrics; at most 100 distinct values are kept apart, later ones are "other".
	UsageClaim string
	// ModerationURL is the base URL of OpenAI's moderation API for the prompt guards'
	// moderation (default guard.DefaultModerationBaseURL).
	ModerationURL string
}

// Server is the proxy: it serves the listeners of its current snapshot.
type Server struct {
	cfg     Config
	log     logr.Logger
	table   atomic.Pointer[table]
	metrics *metrics
	bodies  bodyBudget // request bodies held in memory
	// localLimiter counts in this process (Config.RateLimitStore, or memory);
	// limiters is the limiter in use, per the snapshot's store (store.go).
	localLimiter *ratelimit.Limiter
	limiters     atomic.Pointer[limiterState]

	mu        sync.Mutex // serializes Apply and guards listeners and closed
	listeners map[uint32]*listener
	closed    bool
	serving   sync.WaitGroup
	draining  atomic.Bool
}

// New returns a Server with no snapshot: not ready, answering 503.
func New(cfg Config) (*Server, error) {
	if cfg.Authenticator == nil {
		return nil, errors.New("an authenticator is required")
	}
	if cfg.Transports == nil {
		cfg.Transports = llm.NewTransports(llm.TransportConfig{})
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = llm.MaxBodyBytes
	}
	if cfg.MaxBufferedBodyBytes <= 0 {
		cfg.MaxBufferedBodyBytes = 256 << 20
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = time.Minute
	}
	s := &Server{cfg: cfg, log: cfg.Logger, listeners: map[uint32]*listener{}}
	s.localLimiter = ratelimit.New(ratelimit.Config{Store: cfg.RateLimitStore, Now: cfg.Now, DenyOnFail: cfg.RateLimitDenyOnFail})
	s.limiters.Store(&limiterState{limiter: s.localLimiter})
	s.bodies.limit = cfg.MaxBufferedBodyBytes
	m, err := newMetrics(cfg.Registerer, s)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	return s, nil
}

// Version is the version of the snapshot being served, empty before the first one.
func (s *Server) Version() string {
	if t := s.table.Load(); t != nil {
		return t.version
	}
	return ""
}

// Ready reports whether a snapshot is being served and the proxy is not draining.
func (s *Server) Ready() bool { return s.table.Load() != nil && !s.draining.Load() }

// Drain makes the proxy report not ready while it keeps serving, so load balancers stop
// sending it new connections before Start's context ends.
func (s *Server) Drain() { s.draining.Store(true) }

// Validate reports whether Apply would accept snap, without applying it or opening any
// port.
func (s *Server) Validate(snap *snapshotv1.Snapshot) error {
	_, err := s.compile(snap)
	return err
}

// Apply validates and compiles snap, opens the listeners it needs, swaps it in and closes
// the listeners it no longer has. On error nothing changes. Requests in flight finish on
// the table they started with.
func (s *Server) Apply(snap *snapshotv1.Snapshot) error {
	enc, l, err := encode(snap)
	if err != nil {
		s.metrics.rejected.Inc()
		return fmt.Errorf("snapshot %s: %w", snap.GetVersion(), err)
	}
	return s.ApplyLayout(l, enc)
}

// ApplyLayout is Apply for the snapshot whose encoding is enc, read as l. The routes
// whose encoding the table serving has, with the same upstreams and JWT providers, keep
// their compiles; only the others are decoded and compiled. enc must not be modified
// afterwards: the table keeps it, as the base of the next patch.
func (s *Server) ApplyLayout(l *snapshotv1.Layout, enc []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("proxy is shutting down")
	}
	t, err := s.compileLayout(l, enc, s.table.Load())
	var limiters *limiterState
	if err == nil {
		limiters, err = s.limiterFor(t.rateLimitStore)
	}
	if err == nil {
		err = s.openPorts(t)
	}
	if err != nil {
		s.metrics.rejected.Inc()
		return fmt.Errorf("snapshot %s: %w", l.Version, err)
	}
	s.useLimiter(limiters)
	old := s.table.Swap(t)
	s.closeUnusedPorts(t)
	s.metrics.applied(old, t)
	s.log.Info("snapshot serving", "version", t.version, "gateway", t.gateway, "ports", len(t.ports))
	return nil
}

// Encoding is the encoding of the snapshot being served, nil before the first.
func (s *Server) Encoding() []byte {
	if t := s.table.Load(); t != nil {
		return t.encoded
	}
	return nil
}

// Start opens the initial ports, serves until ctx ends, then closes every listener,
// letting in-flight requests finish within ShutdownTimeout.
func (s *Server) Start(ctx context.Context) error {
	if err := s.openInitialPorts(); err != nil {
		return err
	}
	<-ctx.Done()
	s.mu.Lock()
	s.closed = true
	for port, l := range s.listeners {
		s.closeListener(l)
		delete(s.listeners, port)
	}
	s.mu.Unlock()
	s.serving.Wait()
	return nil
}
