package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// table is one compiled snapshot. It is immutable once built.
type table struct {
	version   string
	gateway   string
	ports     map[uint32]*portTable
	appliedAt time.Time
	// claimHeaders are the canonical names of the headers the snapshot's claimsToHeaders
	// write: a client's values for them are removed before routing.
	claimHeaders map[string]struct{}
	// failovers are the failover upstreams, for the ejection gauge.
	failovers []*failover
	// encoded is the snapshot's encoding: the base of the next patch.
	encoded []byte
	// deps identifies the upstreams and JWT providers (dependencies); upstreams and
	// providers are their compiles, reused with the routes of vhosts by the next
	// snapshot with the same deps (reuse.go).
	deps      string
	upstreams map[string]*upstream
	providers *authn.Providers
	// vhosts are the virtual hosts by listener and name (vhostKey); routes are every
	// virtual host's routes, in snapshot order.
	vhosts map[string]*vhost
	routes []*route
	// rateLimitStore is the snapshot's rate-limit store, nil when none.
	rateLimitStore *snapshotv1.RateLimitStore
	// compiled and reused count the routes compiled for this table and taken from the
	// one before.
	compiled, reused int
}

// portTable is everything served on one port: the virtual hosts of every listener on it.
type portTable struct {
	port     uint32
	protocol snapshotv1.Protocol
	hosts    hostTable
	certs    *certSet // HTTPS only
	// allowUnderscores keeps client headers whose names contain '_'; by default they
	// are dropped.
	allowUnderscores bool
}

type vhost struct {
	name   string
	routes []*route
	// index finds the routes that can fit a path; nil below indexedRoutes routes.
	index *routeIndex
}

// route is a compiled snapshot Route.
type route struct {
	name string
	// encoding is the Route's encoding, by which the next table finds it (reuse.go).
	encoding []byte
	match    routeMatch
	reqMods  []*headerMod
	respMods []*headerMod
	rewrite  *urlRewrite
	redirect *redirect
	direct   *directResponse
	backends backendSet
	timeout  time.Duration
	authn    *authn.Requirement
	rbac     *authz.Policy
	// websocket passes a client's WebSocket upgrade on to the upstream. Gloo takes
	// WebSocket upgrades on every route.
	websocket bool
	// cors answers preflights and adds CORS headers (cors.go); nil without a policy.
	cors *corsPolicy
	// upstreamRewrite rewrites the path and Host sent upstream (upstreamrewrite.go).
	upstreamRewrite *upstreamRewrite
	// res holds the route's retries, attempt counts, per-try, idle and duration bounds
	// and injected faults; nil when it has none of them.
	res *resilience
	// limits are the route's rate limits by stage (ratelimit.go); nil without any.
	limits *routeLimits
	// ai shapes request bodies sent to LLM providers (ai.go); nil without any.
	ai *llm.Shaping
	// guard checks prompts and answers to LLM providers (guard.go); nil without any.
	guard *guard.Pipeline
}

type directResponse struct {
	status int
	body   string
}

// compiler holds what compiling one snapshot needs.
type compiler struct {
	s            *Server
	providers    *authn.Providers
	upstreams    map[string]*upstream
	claimHeaders map[string]struct{}
	// prev is the table serving when this snapshot has the same upstreams and JWT
	// providers (nil otherwise): its routes are reused (reuse.go), found by finder.
	prev   *table
	finder *snapshotv1.RouteFinder
	// compiled and reused count the routes compiled and taken from prev.
	compiled, reused int
}

// compile validates s and builds its table (compileLayout without a table to reuse).
func (srv *Server) compile(s *snapshotv1.Snapshot) (*table, error) {
	enc, l, err := encode(s)
	if err != nil {
		return nil, err
	}
	return srv.compileLayout(l, enc, nil)
}

// encode is s's encoding, version first as the controller writes it, and its layout.
func encode(s *snapshotv1.Snapshot) ([]byte, *snapshotv1.Layout, error) {
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding snapshot: %w", err)
	}
	l, err := snapshotv1.ReadLayout(enc)
	return enc, l, err
}

// compileLayout validates the snapshot enc (read as l) and builds its table. When prev
// has the same upstreams and JWT providers, their compiles are prev's, and so is every
// route whose encoding prev has: only the routes that changed are decoded and compiled.
// Errors name the object and hold no secret.
func (srv *Server) compileLayout(l *snapshotv1.Layout, enc []byte, prev *table) (*table, error) {
	if l.Version == "" {
		return nil, errors.New("snapshot has no version")
	}
	c := &compiler{s: srv}
	deps := dependencies(l)
	var failovers []*failover
	if prev != nil && prev.deps == deps {
		c.upstreams, c.providers, c.claimHeaders, c.prev = prev.upstreams, prev.providers, prev.claimHeaders, prev
		failovers = prev.failovers
	} else {
		var err error
		if failovers, err = c.compileDependencies(l); err != nil {
			return nil, err
		}
	}
	t := &table{
		version: l.Version, gateway: l.GatewayNamespace + "/" + l.GatewayName,
		ports: map[uint32]*portTable{}, appliedAt: srv.cfg.Now(),
		claimHeaders: c.claimHeaders, failovers: failovers,
		encoded: enc, deps: deps, upstreams: c.upstreams, providers: c.providers, vhosts: map[string]*vhost{},
	}
	for i := range l.Listeners {
		ll := &l.Listeners[i]
		if err := c.addListener(t, ll); err != nil {
			return nil, fmt.Errorf("listener %s (port %d): %w", ll.Name, ll.Port, err)
		}
	}
	t.compiled, t.reused = c.compiled, c.reused
	if l.RateLimitStore != nil {
		t.rateLimitStore = &snapshotv1.RateLimitStore{}
		if err := proto.Unmarshal(l.RateLimitStore, t.rateLimitStore); err != nil {
			return nil, fmt.Errorf("rate-limit store: %w", err)
		}
	}
	return t, nil
}

// dependencies is what every route's compile depends on besides the route: the
// encodings of the upstreams and of the JWT providers, each with its length.
func dependencies(l *snapshotv1.Layout) string {
	var b []byte
	for _, u := range l.Upstreams {
		b = protowire.AppendBytes(b, u)
	}
	b = append(b, 0xff) // not the start of a length: upstreams end here
	for _, p := range l.JwtProviders {
		b = protowire.AppendBytes(b, p)
	}
	return string(b)
}

// compileDependencies decodes and compiles the JWT providers and upstreams of l. It
// returns the failover upstreams, which keep the ejections of prev's of the same name.
func (c *compiler) compileDependencies(l *snapshotv1.Layout) ([]*failover, error) {
	srv := c.s
	providers := make([]*snapshotv1.JwtProvider, len(l.JwtProviders))
	for i, b := range l.JwtProviders {
		providers[i] = &snapshotv1.JwtProvider{}
		if err := proto.Unmarshal(b, providers[i]); err != nil {
			return nil, fmt.Errorf("jwt provider %d: %w", i, err)
		}
	}
	c.claimHeaders = claimHeaders(providers)
	var err error
	if c.providers, err = srv.cfg.Authenticator.Compile(providers); err != nil {
		return nil, fmt.Errorf("jwt providers: %w", err)
	}
	c.upstreams = make(map[string]*upstream, len(l.Upstreams))
	var failovers []*failover
	for i, b := range l.Upstreams {
		u := &snapshotv1.Upstream{}
		if err := proto.Unmarshal(b, u); err != nil {
			return nil, fmt.Errorf("upstream %d: %w", i, err)
		}
		if _, dup := c.upstreams[u.GetName()]; dup {
			return nil, fmt.Errorf("upstream %s is listed twice", u.GetName())
		}
		up, err := compileUpstream(u, srv.cfg.Transports, srv.cfg.Now, srv.log)
		if err != nil {
			return nil, err
		}
		c.upstreams[u.GetName()] = up
		if up.failover != nil {
			up.failover.attempts = srv.metrics.failover
			up.failover.inherit(previousFailover(srv.table.Load(), up.failover.name))
			failovers = append(failovers, up.failover)
		}
	}
	return failovers, nil
}

// claimHeaders returns the canonical names of the headers providers' claimsToHeaders
// write, nil when there are none.
func claimHeaders(providers []*snapshotv1.JwtProvider) map[string]struct{} {
	var names map[string]struct{}
	for _, p := range providers {
		for _, c := range p.GetClaimsToHeaders() {
			if names == nil {
				names = map[string]struct{}{}
			}
			names[http.CanonicalHeaderKey(c.GetHeader())] = struct{}{}
		}
	}
	return names
}

func (c *compiler) addListener(t *table, l *snapshotv1.ListenerLayout) error {
	if l.Port == 0 || l.Port > 65535 {
		return errors.New("port is not in 1-65535")
	}
	if l.Protocol != snapshotv1.Protocol_HTTP && l.Protocol != snapshotv1.Protocol_HTTPS {
		return fmt.Errorf("unsupported protocol %s", l.Protocol)
	}
	pt, ok := t.ports[l.Port]
	if !ok {
		pt = &portTable{
			port: l.Port, protocol: l.Protocol, hosts: newHostTable(),
			allowUnderscores: l.AllowHeadersWithUnderscores,
		}
		t.ports[l.Port] = pt
	} else if pt.protocol != l.Protocol {
		return fmt.Errorf("protocol %s conflicts with %s on the same port", l.Protocol, pt.protocol)
	}
	// Headers are cleaned before the listener is known: a port keeps underscores only
	// when every listener on it allows them.
	pt.allowUnderscores = pt.allowUnderscores && l.AllowHeadersWithUnderscores
	if l.Protocol == snapshotv1.Protocol_HTTPS {
		tls := &snapshotv1.ListenerTLS{}
		if err := proto.Unmarshal(l.TLS, tls); err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		if err := pt.addCertificates(tls.GetCertificates()); err != nil {
			return err
		}
	}
	for _, v := range l.VirtualHosts {
		vh, err := c.virtualHost(t, l.Name, &v)
		if err != nil {
			return fmt.Errorf("virtual host %s: %w", v.Name, err)
		}
		t.vhosts[vhostKey(l.Name, v.Name)] = vh
		if err := pt.hosts.add(vh, listenerDomains(l.Hostname, v.Domains)); err != nil {
			return err
		}
	}
	return nil
}

// compileRouteBytes decodes and compiles the i-th route of a virtual host, encoded as b.
func (c *compiler) compileRouteBytes(i int, b []byte) (*route, error) {
	r := &snapshotv1.Route{}
	if err := proto.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("route %d: decoding: %w", i, err)
	}
	rt, err := c.compileRoute(r)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", r.GetName(), err)
	}
	rt.encoding = compiledEncoding(b)
	c.compiled++
	return rt, nil
}

// listenerDomains narrows a virtual host's "*" to its listener's hostname, so a listener
// restricted to one host never serves another, even when several share a port.
func listenerDomains(hostname string, domains []string) []string {
	if hostname == "" {
		return domains
	}
	out := make([]string, 0, len(domains))
	for _, d := range domains {
		if d == "*" {
			d = hostname
		}
		out = append(out, d)
	}
	return out
}

func (c *compiler) compileRoute(r *snapshotv1.Route) (*route, error) {
	rt := &route{name: r.GetName(), websocket: !r.GetWebsocketDisabled()}
	var err error
	if rt.match, err = compileMatch(r.GetMatch()); err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	if err := rt.compileFilters(r.GetFilters()); err != nil {
		return nil, err
	}
	if err := c.compileHTTPOptions(rt, r); err != nil {
		return nil, err
	}
	if err := c.compileBackends(rt, r.GetBackends()); err != nil {
		return nil, err
	}
	if err := rt.compileResilience(r); err != nil {
		return nil, err
	}
	if j := r.GetJwt(); j != nil {
		if rt.authn, err = c.providers.Requirement(j); err != nil {
			return nil, fmt.Errorf("jwt: %w", err)
		}
	}
	if rt.limits, err = compileRateLimits(r.GetRateLimits()); err != nil {
		return nil, err
	}
	if rt.ai, err = llm.CompileShaping(r.GetAiRequest()); err != nil {
		return nil, err
	}
	if rt.guard, err = guard.Compile(r.GetAiGuard(), guard.Options{ModerationURL: c.s.cfg.ModerationURL}); err != nil {
		return nil, err
	}
	if rb := r.GetRbac(); rb != nil {
		if rt.rbac, err = authz.Compile(rb); err != nil {
			return nil, fmt.Errorf("rbac: %w", err)
		}
	}
	if d := r.GetDirectResponse(); d != nil {
		if d.GetStatus() < 200 || d.GetStatus() > 599 {
			return nil, fmt.Errorf("direct response status %d is not in 200-599", d.GetStatus())
		}
		rt.direct = &directResponse{status: int(d.GetStatus()), body: d.GetBody()}
	}
	return rt, nil
}

func (rt *route) compileFilters(fs []*snapshotv1.Filter) error {
	for i, f := range fs {
		switch k := f.GetKind().(type) {
		case *snapshotv1.Filter_RequestHeaders:
			rt.reqMods = append(rt.reqMods, compileHeaderMod(k.RequestHeaders))
		case *snapshotv1.Filter_ResponseHeaders:
			rt.respMods = append(rt.respMods, compileHeaderMod(k.ResponseHeaders))
		case *snapshotv1.Filter_UrlRewrite:
			pm, err := compilePathMod(k.UrlRewrite.GetPath(), &rt.match)
			if err != nil {
				return fmt.Errorf("filter %d: url rewrite: %w", i, err)
			}
			rt.rewrite = &urlRewrite{hostname: k.UrlRewrite.GetHostname(), path: pm}
		case *snapshotv1.Filter_RequestRedirect:
			rd, err := compileRedirect(k.RequestRedirect, &rt.match)
			if err != nil {
				return fmt.Errorf("filter %d: redirect: %w", i, err)
			}
			rt.redirect = rd
		default:
			return fmt.Errorf("filter %d: no kind set", i)
		}
	}
	if rt.redirect != nil && rt.rewrite != nil {
		return errors.New("a route cannot both redirect and rewrite")
	}
	return nil
}

func (c *compiler) compileBackends(rt *route, bs []*snapshotv1.WeightedBackend) error {
	for _, b := range bs {
		up, ok := c.upstreams[b.GetUpstream()]
		if !ok {
			return fmt.Errorf("backend %s is not an upstream of the snapshot", b.GetUpstream())
		}
		if b.GetWeight() == 0 {
			continue
		}
		rt.backends.backends = append(rt.backends.backends, weightedBackend{up: up, weight: b.GetWeight()})
		rt.backends.total += uint64(b.GetWeight())
	}
	return nil
}

// previousFailover is the failover upstream named name of t, or nil.
func previousFailover(t *table, name string) *failover {
	if t == nil {
		return nil
	}
	for _, f := range t.failovers {
		if f.name == name {
			return f
		}
	}
	return nil
}
