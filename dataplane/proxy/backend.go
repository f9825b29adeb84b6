package proxy

import (
	"fmt"
	stdlog "log"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// upstream is a compiled snapshot Upstream with the reverse proxy that reaches it.
type upstream struct {
	name      string
	adapter   *llm.Adapter   // set for an LLM provider
	failover  *failover      // set for a failover pool of LLM providers
	endpoints []llm.Endpoint // set for a static upstream, used in turn
	// cumulative are the running sums of the endpoints' weights divided by their
	// greatest common divisor, nil when every endpoint weighs the same: endpoint i takes
	// the turns from cumulative[i-1] to cumulative[i] of every cycle.
	cumulative []uint64
	next       atomic.Uint64
	proxy      *httputil.ReverseProxy
	// autoHostProxy is proxy sending the chosen endpoint as Host (auto_host), static
	// upstreams only.
	autoHostProxy *httputil.ReverseProxy
}

// llm reports whether the upstream is an AI provider or a failover pool of them.
func (u *upstream) llm() bool { return u.adapter != nil || u.failover != nil }

// primary is the provider whose format requests to u and their answers are read in, by
// the prompt guards: u's own, or a failover pool's first member's (a client speaks one
// provider's API; a pool mixing formats is read in its first member's). Nil for a
// static upstream.
func (u *upstream) primary() *llm.Adapter {
	if u.failover != nil {
		return u.failover.priorities[0].members[0].adapter
	}
	return u.adapter
}

func compileUpstream(u *snapshotv1.Upstream, tr *llm.Transports, now func() time.Time, log logr.Logger) (*upstream, error) {
	up := &upstream{name: u.GetName()}
	var rt http.RoundTripper
	switch k := u.GetKind().(type) {
	case *snapshotv1.Upstream_Llm:
		a, err := llm.Compile(k.Llm)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.GetName(), err)
		}
		up.adapter, rt = a, tr.For(a.Endpoint())
	case *snapshotv1.Upstream_Failover:
		f, err := compileFailover(u.GetName(), k.Failover, tr, now, log)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.GetName(), err)
		}
		up.failover, rt = f, failoverTransport{f}
	case *snapshotv1.Upstream_Static:
		hosts := hostTransports{}
		for i, e := range k.Static.GetEndpoints() {
			ep, err := llm.CompileEndpoint(e)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: endpoint %d: %w", u.GetName(), i, err)
			}
			up.endpoints = append(up.endpoints, ep)
			hosts[ep.Scheme+"://"+ep.HostPort] = tr.For(ep)
		}
		if len(up.endpoints) == 0 {
			return nil, fmt.Errorf("upstream %s: static upstream has no endpoint", u.GetName())
		}
		up.cumulative = cumulativeWeights(k.Static.GetEndpoints())
		rt = hosts
	default:
		return nil, fmt.Errorf("upstream %s: neither llm, failover nor static", u.GetName())
	}
	up.proxy = &httputil.ReverseProxy{
		Rewrite:        up.rewrite,
		Transport:      attemptTransport{next: rt},
		ModifyResponse: modifyResponse,
		// An answer of known length is written at once; the reverse proxy flushes every
		// write of a server-sent event stream or of an answer of unknown length (chunked)
		// as it arrives whatever the interval.
		FlushInterval: 0,
		BufferPool:    answerPool{},
		ErrorHandler:  upstreamErrorHandler(u.GetName(), log),
		ErrorLog:      stdlog.New(logWriter{log.WithValues("upstream", u.GetName())}, "", 0),
	}
	up.autoHostProxy = up.newAutoHostProxy()
	return up, nil
}

// modifyResponse filters a model list the caller asked for and meters an AI
// provider's answer.
func modifyResponse(resp *http.Response) error {
	if err := filterModelList(resp); err != nil {
		return err
	}
	if err := meterResponse(resp); err != nil {
		return err
	}
	return guardResponse(resp)
}

// rewrite points the outgoing request at the upstream. A client's attempt count is
// removed: only the proxy's reaches an upstream.
func (u *upstream) rewrite(pr *httputil.ProxyRequest) {
	delete(pr.Out.Header, attemptCountHeader)
	switch {
	case u.failover != nil:
		// Each attempt is pointed at its member by failoverTransport.
	case u.adapter != nil:
		u.adapter.Rewrite(pr.Out)
		prepareMetering(pr)
	default:
		ep := u.endpoints[0]
		if len(u.endpoints) > 1 {
			ep = u.endpoints[u.turn()]
		}
		pr.Out.URL.Scheme, pr.Out.URL.Host = ep.Scheme, ep.HostPort
		pr.SetXForwarded()
	}
	escapeOutgoingPath(pr.Out.URL)
}

// escapeOutgoingPath escapes the path that leaves for the upstream as the canonical path
// is forwarded (';' as %3B), whatever rewrote it on the way (a route's URL rewrite, a
// provider's path, a custom host's path override), so an upstream never reads a
// parameter that routing did not see.
func escapeOutgoingPath(u *url.URL) {
	if isCanonicalPlain(u.Path) {
		u.RawPath = ""
		return
	}
	if raw := escapeForwarded(u.Path, u.RawPath); raw != u.Path {
		u.RawPath = raw
	} else {
		u.RawPath = ""
	}
}

// turn is the index of the endpoint whose turn it is.
func (u *upstream) turn() int {
	n := u.next.Add(1) - 1
	if u.cumulative == nil {
		return int(n % uint64(len(u.endpoints)))
	}
	pos := n % u.cumulative[len(u.cumulative)-1]
	i, _ := slices.BinarySearchFunc(u.cumulative, pos, func(c, p uint64) int {
		if c > p {
			return 1
		}
		return -1
	})
	return i
}

// cumulativeWeights returns the running sums of the endpoints' weights (0 counts as 1)
// divided by their greatest common divisor, or nil when they are all equal.
func cumulativeWeights(eps []*snapshotv1.Endpoint) []uint64 {
	weights := make([]uint64, len(eps))
	var g uint64
	equal := true
	for i, e := range eps {
		weights[i] = max(uint64(e.GetLoadBalancingWeight()), 1)
		equal = equal && weights[i] == weights[0]
		g = gcd(g, weights[i])
	}
	if equal {
		return nil
	}
	var sum uint64
	for i, w := range weights {
		sum += w / g
		weights[i] = sum
	}
	return weights
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// hostTransports sends each request through the transport of its endpoint.
type hostTransports map[string]http.RoundTripper

func (h hostTransports) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt, ok := h[r.URL.Scheme+"://"+r.URL.Host]; ok {
		return rt.RoundTrip(r)
	}
	return nil, fmt.Errorf("no transport for %s", r.URL.Host)
}

// weightedBackend is one backend of a route.
type weightedBackend struct {
	up     *upstream
	weight uint32
}

// backendSet picks a backend by weight.
type backendSet struct {
	backends []weightedBackend // only weights > 0
	total    uint64
}

func (b *backendSet) pick() *upstream {
	switch len(b.backends) {
	case 0:
		return nil
	case 1:
		return b.backends[0].up
	}
	n := rand.N(b.total) //nolint:gosec // spreading load, not a secret
	for _, wb := range b.backends {
		if n < uint64(wb.weight) {
			return wb.up
		}
		n -= uint64(wb.weight)
	}
	return b.backends[len(b.backends)-1].up
}
