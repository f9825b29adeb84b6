package proxy

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// The rate-limit store comes from the snapshot (the controller's configuration): none
// means counters in this process (Config.RateLimitStore, or memory); a Redis store is
// created when a snapshot first names it, replaced when a later one names another, and
// the previous one closed once the requests it counted had time to end. A request
// keeps the limiter it started with.

// limiterState is the limiter in use and the store configuration it was made from.
type limiterState struct {
	limiter *ratelimit.Limiter
	config  *snapshotv1.RateLimitStore
	closer  io.Closer // the store, when the proxy created it
}

// limiterFor returns the limiter state for a snapshot's store (want, nil for none): the
// current one when the store is the same, else a new one (not yet in use).
func (s *Server) limiterFor(want *snapshotv1.RateLimitStore) (*limiterState, error) {
	cur := s.limiters.Load()
	if cur != nil && proto.Equal(cur.config, want) {
		return cur, nil
	}
	r := want.GetRedis()
	if r == nil {
		return &limiterState{limiter: s.localLimiter, config: want}, nil
	}
	if len(r.GetAddresses()) == 0 {
		return nil, errors.New("rate-limit store: redis has no address")
	}
	cfg := ratelimit.RedisConfig{
		Addresses: r.GetAddresses(), Cluster: r.GetCluster(), Username: r.GetUsername(), Password: r.GetPassword(),
		DB: int(r.GetDb()), Now: s.cfg.Now, Registerer: replacing{s.cfg.Registerer},
	}
	if r.GetTls() {
		cfg.TLS = &ratelimit.RedisTLS{CA: r.GetCaPem(), ServerName: r.GetServerName()}
	}
	if s.cfg.Registerer == nil {
		cfg.Registerer = nil
	}
	store, err := ratelimit.NewRedisStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("rate-limit store: %w", err)
	}
	l := ratelimit.New(ratelimit.Config{Store: store, Now: s.cfg.Now, DenyOnFail: r.GetDenyOnFail()})
	return &limiterState{limiter: l, config: want, closer: store}, nil
}

// useLimiter puts next in use and closes the store of the previous state later.
func (s *Server) useLimiter(next *limiterState) {
	prev := s.limiters.Swap(next)
	if prev == nil || prev == next || prev.closer == nil {
		return
	}
	time.AfterFunc(s.cfg.ShutdownTimeout, func() { _ = prev.closer.Close() })
}

// replacing registers collectors in place of those with the same descriptors, so that
// a store made for a new configuration reports under the same names.
type replacing struct{ prometheus.Registerer }

func (r replacing) Register(c prometheus.Collector) error {
	r.Unregister(c)
	return r.Registerer.Register(c)
}

func (r replacing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}
