package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"time"

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
}

// route is a compiled snapshot Route.
type route struct {
	name     string
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
}

// compile validates s and builds its table. Errors name the object and hold no secret.
func (srv *Server) compile(s *snapshotv1.Snapshot) (*table, error) {
	if s.GetVersion() == "" {
		return nil, errors.New("snapshot has no version")
	}
	c := &compiler{s: srv, upstreams: map[string]*upstream{}, claimHeaders: claimHeaders(s.GetJwtProviders())}
	var err error
	var failovers []*failover
	if c.providers, err = srv.cfg.Authenticator.Compile(s.GetJwtProviders()); err != nil {
		return nil, fmt.Errorf("jwt providers: %w", err)
	}
	for _, u := range s.GetUpstreams() {
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
	t := &table{
		version: s.GetVersion(), gateway: s.GetGatewayNamespace() + "/" + s.GetGatewayName(),
		ports: map[uint32]*portTable{}, appliedAt: srv.cfg.Now(),
		claimHeaders: c.claimHeaders, failovers: failovers,
	}
	for _, l := range s.GetListeners() {
		if err := c.addListener(t, l); err != nil {
			return nil, fmt.Errorf("listener %s (port %d): %w", l.GetName(), l.GetPort(), err)
		}
	}
	return t, nil
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

func (c *compiler) addListener(t *table, l *snapshotv1.Listener) error {
	if l.GetPort() == 0 || l.GetPort() > 65535 {
		return errors.New("port is not in 1-65535")
	}
	if l.GetProtocol() != snapshotv1.Protocol_HTTP && l.GetProtocol() != snapshotv1.Protocol_HTTPS {
		return fmt.Errorf("unsupported protocol %s", l.GetProtocol())
	}
	pt, ok := t.ports[l.GetPort()]
	if !ok {
		pt = &portTable{
			port: l.GetPort(), protocol: l.GetProtocol(), hosts: newHostTable(),
			allowUnderscores: l.GetAllowHeadersWithUnderscores(),
		}
		t.ports[l.GetPort()] = pt
	} else if pt.protocol != l.GetProtocol() {
		return fmt.Errorf("protocol %s conflicts with %s on the same port", l.GetProtocol(), pt.protocol)
	}
	// Headers are cleaned before the listener is known: a port keeps underscores only
	// when every listener on it allows them.
	pt.allowUnderscores = pt.allowUnderscores && l.GetAllowHeadersWithUnderscores()
	if l.GetProtocol() == snapshotv1.Protocol_HTTPS {
		if err := pt.addCertificates(l.GetTls().GetCertificates()); err != nil {
			return err
		}
	}
	for _, v := range l.GetVirtualHosts() {
		vh := &vhost{name: v.GetName()}
		for _, r := range v.GetRoutes() {
			rt, err := c.compileRoute(r)
			if err != nil {
				return fmt.Errorf("virtual host %s: route %s: %w", v.GetName(), r.GetName(), err)
			}
			vh.routes = append(vh.routes, rt)
		}
		if err := pt.hosts.add(vh, listenerDomains(l.GetHostname(), v.GetDomains())); err != nil {
			return err
		}
	}
	return nil
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
