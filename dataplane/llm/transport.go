package llm

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/claimgate/claimgate/dataplane/h1"
)

// TransportConfig sizes the upstream connection pools. Zero fields take the defaults
// (h1.Limits).
type TransportConfig struct {
	h1.Limits
	// NetHTTP carries HTTP/1.1 endpoints with net/http's transport too, instead of the
	// HTTP/1.1 client of dataplane/h1.
	NetHTTP bool
}

func (c TransportConfig) withDefaults() TransportConfig {
	c.Limits = c.WithDefaults()
	return c
}

// Transports hands out one pooled transport per distinct TLS setting, shared by every
// snapshot, so connections survive snapshot swaps. It is safe for concurrent use.
//
// An endpoint that speaks HTTP/1.1 only (plain, or TLS whose ALPN list has no "h2") is
// reached through dataplane/h1's client, which runs each exchange on the request's own
// goroutine; one that may negotiate HTTP/2 through net/http's transport. The h1 client
// leaves protocol upgrades and 100-continue to a net/http transport of the same
// settings.
type Transports struct {
	cfg TransportConfig
	mu  sync.Mutex
	m   map[string]Transport
}

// Transport is one pool of upstream connections.
type Transport interface {
	http.RoundTripper
	CloseIdleConnections()
}

// NewTransports returns an empty set of pools.
func NewTransports(cfg TransportConfig) *Transports {
	return &Transports{cfg: cfg.withDefaults(), m: map[string]Transport{}}
}

// For returns the transport that reaches e.
func (t *Transports) For(e Endpoint) Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr, ok := t.m[e.poolKey]; ok {
		return tr
	}
	std := t.newTransport(e)
	var tr Transport = std
	if e.Scheme == "http" || !std.ForceAttemptHTTP2 {
		tr = t.newH1(e, std)
	}
	t.m[e.poolKey] = tr
	return tr
}

// newH1 returns the HTTP/1.1 client reaching e, leaving to std what it does not carry.
func (t *Transports) newH1(e Endpoint, std *http.Transport) Transport {
	if t.cfg.NetHTTP {
		return std
	}
	cfg := h1.Config{Limits: t.cfg.Limits, Fallback: std}
	if e.Scheme == "https" {
		cfg.TLS = std.TLSClientConfig.Clone()
	}
	return h1.New(cfg)
}

func (t *Transports) newTransport(e Endpoint) *http.Transport {
	d := &net.Dialer{Timeout: t.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:       nil,
		DialContext: d.DialContext,
		// HTTP/2 is offered by ALPN unless the endpoint lists protocols without "h2".
		// With "h2" listed, Go's transport also offers "http/1.1" as its fallback.
		ForceAttemptHTTP2: true,
		// Pass the client's Accept-Encoding through untouched: no transparent gzip that
		// would hold back streamed events.
		DisableCompression:    true,
		MaxIdleConns:          t.cfg.MaxIdleConns,
		MaxIdleConnsPerHost:   t.cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       t.cfg.IdleConnTimeout,
		TLSHandshakeTimeout:   t.cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout: t.cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       e.tlsConfig(),
	}
	if len(e.tls.alpn) > 0 && !e.tls.h2 {
		// ALPN without "h2": HTTP/1.1 only, offering exactly the protocols listed.
		tr.ForceAttemptHTTP2 = false
	}
	return tr
}

// CloseIdle closes the idle connections of every pool.
func (t *Transports) CloseIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.m {
		tr.CloseIdleConnections()
	}
}
