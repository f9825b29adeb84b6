package authn

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
)

// defaultCacheSize is the verified-token cache's size when Config says nothing.
const defaultCacheSize = 10000

// Config configures an Authenticator.
type Config struct {
	// Client fetches remote JWKS; nil means a client with timeouts.
	Client *http.Client
	// Now is the clock for exp, nbf and the cache; nil means time.Now.
	Now func() time.Time
	// Logger receives fetch failures and fail-closed providers; never a token or key.
	Logger logr.Logger
	// CacheSize bounds the verified-token cache (entries); 0 means 10000.
	CacheSize int
	// Registerer receives the cache hit/miss and JWKS fetch counters; nil means none.
	Registerer prometheus.Registerer
}

// Authenticator is long-lived (one per proxy process). It owns the remote JWKS fetchers,
// shared by every snapshot whose providers name the same key set, and the verified-token
// cache.
type Authenticator struct {
	client  *http.Client
	now     func() time.Time
	log     logr.Logger
	cache   *tokenCache
	metrics *metrics

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	fetchers map[string]*fetcher
}

// New returns an Authenticator. Remote key sets are fetched from the first Compile that
// names them; Start bounds their life.
func New(cfg Config) *Authenticator {
	a := &Authenticator{
		client:   cfg.Client,
		now:      cfg.Now,
		log:      cfg.Logger,
		metrics:  newMetrics(cfg.Registerer),
		fetchers: map[string]*fetcher{},
	}
	if a.client == nil {
		a.client = &http.Client{Timeout: fetchTimeout}
	}
	if a.now == nil {
		a.now = time.Now
	}
	size := cfg.CacheSize
	if size <= 0 {
		size = defaultCacheSize
	}
	a.cache = newTokenCache(size)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	return a
}

// Start blocks until ctx ends, then stops every background fetch. It returns nil.
func (a *Authenticator) Start(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-a.ctx.Done():
	}
	a.cancel()
	return nil
}

// acquire returns the running fetcher for id, creating and starting it when needed.
func (a *Authenticator) acquire(id string, build func() (*fetcher, error)) (*fetcher, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f, ok := a.fetchers[id]; ok {
		f.refs++
		return f, nil
	}
	f, err := build()
	if err != nil {
		return nil, err
	}
	f.refs = 1
	a.fetchers[id] = f
	// The first fetch is in flight before any request can ask for the set.
	go f.run(f.refresh())
	return f, nil
}

// release drops one reference to each fetcher; a fetcher nobody uses is stopped.
func (a *Authenticator) release(ids []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range ids {
		f, ok := a.fetchers[id]
		if !ok {
			continue
		}
		if f.refs--; f.refs <= 0 {
			f.stop()
			delete(a.fetchers, id)
		}
	}
}

// releaseWhenUnreachable stops p's fetchers once p (and every Requirement built from it)
// is garbage: the proxy swapped to a newer snapshot and the last request of the old one
// has finished.
func (a *Authenticator) releaseWhenUnreachable(p *Providers, ids []string) {
	if len(ids) == 0 {
		return
	}
	runtime.AddCleanup(p, a.release, ids)
}

func (a *Authenticator) fetcherCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.fetchers)
}
