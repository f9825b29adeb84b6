package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Limits are the timeouts and pool sizes of an upstream client, this package's or
// net/http's configured alike (dataplane/llm). Zero fields take the defaults.
type Limits struct {
	// DialTimeout bounds establishing a TCP connection (default 5s).
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 5s).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the answer's head once the request has
	// been sent (default 5m: a non-streamed completion can take minutes).
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout closes pooled connections idle that long (default 90s).
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost is the pool size per upstream address (default 256).
	MaxIdleConnsPerHost int
	// MaxIdleConns is the pool size over all addresses (default 1024).
	MaxIdleConns int
}

// WithDefaults is l with the defaults in place of its zero (or negative) fields.
func (l Limits) WithDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.DialTimeout, 5*time.Second)
	def(&l.TLSHandshakeTimeout, 5*time.Second)
	def(&l.ResponseHeaderTimeout, 5*time.Minute)
	def(&l.IdleConnTimeout, 90*time.Second)
	if l.MaxIdleConnsPerHost <= 0 {
		l.MaxIdleConnsPerHost = 256
	}
	if l.MaxIdleConns <= 0 {
		l.MaxIdleConns = 1024
	}
	return l
}

// Config sizes a Transport. Zero fields take the defaults.
type Config struct {
	Limits
	// MaxResponseHeaderBytes bounds an answer's head, and its trailers (default 1 MiB).
	MaxResponseHeaderBytes int
	// TLS, when set, makes every connection TLS with this configuration; its
	// ServerName, when empty, is the request's host. Nil: plain TCP.
	TLS *tls.Config
	// Fallback carries the requests this client leaves to another: protocol upgrades
	// (WebSocket), CONNECT and requests expecting 100-continue. Nil refuses them.
	Fallback http.RoundTripper
}

func (c Config) withDefaults() Config {
	c.Limits = c.WithDefaults()
	if c.MaxResponseHeaderBytes <= 0 {
		c.MaxResponseHeaderBytes = 1 << 20
	}
	return c
}

// Transport is an HTTP/1.1 client with pooled keep-alive connections. It is safe for
// concurrent use.
type Transport struct {
	cfg    Config
	dialer net.Dialer
	scheme string

	mu    sync.Mutex
	idle  map[string][]*conn // by address, most recently used last
	nIdle int
	// tlsByHost is cfg.TLS with ServerName set, by host.
	tlsByHost map[string]*tls.Config
}

// New returns a Transport with no connection yet.
func New(cfg Config) *Transport {
	cfg = cfg.withDefaults()
	t := &Transport{
		cfg:    cfg,
		dialer: net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second},
		scheme: "http",
		idle:   map[string][]*conn{},
	}
	if cfg.TLS != nil {
		t.scheme, t.tlsByHost = "https", map[string]*tls.Config{}
	}
	return t
}

// errFallback is returned for a request left to the fallback when there is none.
var errFallback = errors.New("h1: request needs a protocol upgrade or 100-continue, which this client does not carry")

// RoundTrip sends req and returns the answer's head; its body is read from the
// connection as Response.Body is read. It closes req.Body, even on error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if needsFallback(req) {
		if t.cfg.Fallback == nil {
			closeBody(req)
			return nil, errFallback
		}
		return t.cfg.Fallback.RoundTrip(req)
	}
	if req.URL == nil || req.URL.Host == "" {
		closeBody(req)
		return nil, errors.New("h1: request has no URL host")
	}
	if req.URL.Scheme != t.scheme {
		closeBody(req)
		return nil, fmt.Errorf("h1: scheme %q on a %s transport", req.URL.Scheme, t.scheme)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, context.Cause(ctx)
	}
	addr := hostPort(req.URL, t.scheme)
	for retried := false; ; retried = true {
		c, err := t.getConn(ctx, addr, req.URL.Hostname())
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := c.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		var stale *staleConnError
		if retried || !errors.As(err, &stale) || ctx.Err() != nil {
			closeBody(req)
			return nil, unwrapStale(err)
		}
		// The pooled connection was closed by the upstream before it answered
		// anything: the request is sent again on a new one.
		if req, err = rewind(req); err != nil {
			return nil, unwrapStale(stale)
		}
	}
}

// needsFallback reports whether req is one this client leaves to the fallback.
func needsFallback(req *http.Request) bool {
	if req.Method == http.MethodConnect {
		return true
	}
	if _, ok := req.Header["Upgrade"]; ok {
		return true
	}
	for _, v := range req.Header["Expect"] {
		if v != "" {
			return true
		}
	}
	return false
}

// CloseIdleConnections closes the pooled connections.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.nIdle = map[string][]*conn{}, 0
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.close()
		}
	}
	if f, ok := t.cfg.Fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// rewind returns req with its body ready to be sent again, or an error when it cannot
// be (the body was not in memory, or the method is not one to repeat).
func rewind(req *http.Request) (*http.Request, error) {
	if !replayable(req) {
		closeBody(req)
		return nil, errors.New("not replayable")
	}
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	out := *req
	out.Body = body
	return &out, nil
}

// replayable reports whether req may be sent again after its connection closed under
// it, as net/http decides: a body that can be sent again, and a method that may be
// repeated (or an idempotency key).
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// hostPort is u's host and port, the scheme's default port when u names none.
func hostPort(u *url.URL, scheme string) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
