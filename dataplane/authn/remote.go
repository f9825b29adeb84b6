package authn

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

const (
	// defaultCacheDuration is how long a fetched set is used when RemoteJwks says nothing.
	defaultCacheDuration = 5 * time.Minute
	// earlyRefetchInterval bounds the refetches a token with an unknown kid may cause.
	earlyRefetchInterval = 10 * time.Second
	// maxJWKSBytes bounds a fetched document.
	maxJWKSBytes = 1 << 20
	fetchTimeout = 10 * time.Second
)

// keySetGen numbers key-set contents process-wide; see keySet.gen.
var keySetGen atomic.Uint64

// fetcher keeps one remote key set fresh. It fetches at once, then every cacheDuration
// (sooner, with back-off, while fetches fail), keeps the last good set when a refresh
// fails, and allows one early refetch per earlyRefetchInterval for unknown kids.
type fetcher struct {
	url     string // request URL (its host is the Host header)
	client  *http.Client
	every   time.Duration
	now     func() time.Time
	log     logr.Logger
	metrics *metrics
	ctx     context.Context
	stop    context.CancelFunc

	set atomic.Pointer[keySet]

	mu        sync.Mutex
	inflight  chan struct{} // closed when the running fetch ends; nil when none runs
	lastErr   error
	lastBody  [32]byte
	lastEarly time.Time
	refs      int // guarded by the Authenticator's registry lock
}

// fetcherID is the registry key: fetchers with the same url, endpoint and duration are
// shared across snapshots (async_fetch changes nothing here: sets are always fetched at
// once).
func fetcherID(r *snapshotv1.RemoteJwks) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&snapshotv1.RemoteJwks{
		Url: r.GetUrl(), Endpoint: r.GetEndpoint(), CacheDuration: durationpb.New(cacheDuration(r)),
	})
	if err != nil {
		return r.GetUrl()
	}
	return string(b)
}

func cacheDuration(r *snapshotv1.RemoteJwks) time.Duration {
	if d := r.GetCacheDuration().AsDuration(); r.GetCacheDuration() != nil && d > 0 {
		return d
	}
	return defaultCacheDuration
}

// newFetcher builds a fetcher; run starts it.
func (a *Authenticator) newFetcher(r *snapshotv1.RemoteJwks) (*fetcher, error) {
	u, err := url.Parse(r.GetUrl())
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("remote JWKS url %q is not an absolute http(s) URL", r.GetUrl())
	}
	client := a.client
	if ep := r.GetEndpoint(); ep != nil {
		if client, err = endpointClient(u, ep); err != nil {
			return nil, fmt.Errorf("remote JWKS %s: %w", u.Redacted(), err)
		}
	}
	ctx, stop := context.WithCancel(a.ctx)
	return &fetcher{
		url: u.String(), client: client, every: cacheDuration(r), now: a.now,
		log: a.log.WithValues("jwks", u.Redacted()), metrics: a.metrics, ctx: ctx, stop: stop,
	}, nil
}

// endpointClient connects to ep (host, port, TLS) whatever the URL's host, which stays
// the Host header and, unless ep.sni is set, the TLS server name. It rewrites u's scheme
// to ep's.
func endpointClient(u *url.URL, ep *snapshotv1.Endpoint) (*http.Client, error) {
	port := ep.GetPort()
	if port == 0 {
		port = 80
		if ep.GetTls() {
			port = 443
		}
	}
	addr := net.JoinHostPort(ep.GetHost(), strconv.Itoa(int(port)))
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 1,
	}
	u.Scheme = "http"
	if ep.GetTls() {
		u.Scheme = "https"
		cfg := &tls.Config{ServerName: ep.GetSni(), MinVersion: tls.VersionTLS12}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		if len(ep.GetCaPem()) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ep.GetCaPem()) {
				return nil, errors.New("endpoint ca_pem holds no certificate")
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Transport: tr, Timeout: fetchTimeout}, nil
}

// run waits for the fetch in flight, then refreshes every cacheDuration (sooner, with
// back-off, after a failure) until the fetcher is stopped.
func (f *fetcher) run(fetching <-chan struct{}) {
	backoff := time.Second
	for {
		select {
		case <-fetching:
		case <-f.ctx.Done():
			return
		}
		wait := f.every
		if f.failed() {
			wait = min(backoff, f.every)
			backoff = min(2*backoff, time.Minute)
		} else {
			backoff = time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-f.ctx.Done():
			t.Stop()
			return
		}
		fetching = f.refresh()
	}
}

func (f *fetcher) failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastErr != nil
}

// refresh starts a fetch unless one runs, and returns a channel closed when it ends.
func (f *fetcher) refresh() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight != nil {
		return f.inflight
	}
	ch := make(chan struct{})
	f.inflight = ch
	go func() {
		err := f.fetch()
		f.mu.Lock()
		f.inflight, f.lastErr = nil, err
		f.mu.Unlock()
		close(ch)
	}()
	return ch
}

// refetchEarly starts (or joins) a fetch unless one was asked for early less than
// earlyRefetchInterval ago; nil means rate-limited.
func (f *fetcher) refetchEarly() <-chan struct{} {
	f.mu.Lock()
	now := f.now()
	if !f.lastEarly.IsZero() && now.Sub(f.lastEarly) < earlyRefetchInterval {
		f.mu.Unlock()
		return nil
	}
	f.lastEarly = now
	f.mu.Unlock()
	return f.refresh()
}

// keys returns the current set. While none was ever fetched it waits for the running
// fetch (or one early fetch) within ctx; nil means the set was never fetched.
func (f *fetcher) keys(ctx context.Context) *keySet {
	if s := f.set.Load(); s != nil {
		return s
	}
	f.mu.Lock()
	var ch <-chan struct{} = f.inflight
	f.mu.Unlock()
	if ch == nil {
		ch = f.refetchEarly()
	}
	wait(ctx, ch)
	return f.set.Load()
}

// wait blocks until ch is closed or ctx ends; a nil ch returns at once.
func wait(ctx context.Context, ch <-chan struct{}) {
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

func (f *fetcher) fetch() error {
	body, err := f.get()
	if err == nil {
		err = f.store(body)
	}
	if err != nil {
		f.metrics.jwksFetches.WithLabelValues("failure").Inc()
		f.log.Info("remote JWKS fetch failed; keeping the last good key set", "error", err.Error())
		return err
	}
	f.metrics.jwksFetches.WithLabelValues("success").Inc()
	return nil
}

func (f *fetcher) get() ([]byte, error) {
	ctx, cancel := context.WithTimeout(f.ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("document is larger than %d bytes", maxJWKSBytes)
	}
	return body, nil
}

// store parses a fetched document and makes it current. An unchanged document keeps its
// generation, so cached tokens stay valid across refreshes.
func (f *fetcher) store(body []byte) error {
	keys, err := parseJWKText(body)
	if err != nil {
		return fmt.Errorf("parsing key set: %w", err)
	}
	sum := sha256.Sum256(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur := f.set.Load(); cur != nil && sum == f.lastBody {
		return nil
	}
	f.lastBody = sum
	f.set.Store(&keySet{keys: keys, gen: keySetGen.Add(1)})
	return nil
}
