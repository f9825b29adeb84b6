package compile

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// jwtKey identifies a pair of merged options, whose effective JWT authentication is
// computed once.
type jwtKey struct {
	vho *vhoIR
	rto *rtoIR
}

// effectiveJwt is the JWT authentication of a route and the providers it uses.
type effectiveJwt struct {
	auth      *snapshotv1.JwtAuthentication
	providers []*snapshotv1.JwtProvider
}

// snapshotBuilder collects what the routes of one snapshot reference, and the
// encoding of each route for the version.
type snapshotBuilder struct {
	upstreams map[string]*snapshotv1.Upstream
	providers map[string]*snapshotv1.JwtProvider
	encoded   map[*snapshotv1.VirtualHost][][]byte
}

// flatRoute is one match of one rule of a route on one virtual host.
type flatRoute struct {
	route *routeIR
	rule  *ruleIR
	match *matchIR
}

// builtKey identifies a snapshot route made from a route: where it is served and
// which rule and match it comes from.
type builtKey struct {
	// gateway and listener are the indexes of the Gateway among ours and of the
	// listener in it, which stay the same as long as built routes are reused.
	gateway, listener int
	host              string
	rule, match       int
}

// builtEntry is a built route and where it belongs.
type builtEntry struct {
	key   builtKey
	route *builtRoute
}

// builtRoute is a snapshot route with what it references and its encoding.
type builtRoute struct {
	proto     *snapshotv1.Route
	upstreams []*snapshotv1.Upstream
	providers []*snapshotv1.JwtProvider
	encoded   []byte
}

// buildSnapshot assembles the snapshot of one Gateway from its served listeners, sets
// its content-hash version and returns it with its encoding.
func (c *compiler) buildSnapshot(gw *gatewayIR) (*snapshotv1.Snapshot, []byte) {
	snap := &snapshotv1.Snapshot{GatewayNamespace: gw.key.Namespace, GatewayName: gw.key.Name}
	b := &snapshotBuilder{
		upstreams: map[string]*snapshotv1.Upstream{},
		providers: map[string]*snapshotv1.JwtProvider{},
		encoded:   map[*snapshotv1.VirtualHost][][]byte{},
	}
	listeners := slices.Clone(gw.listeners)
	slices.SortFunc(listeners, func(x, y *listenerIR) int {
		return cmp.Or(cmp.Compare(x.spec.Port, y.spec.Port), cmp.Compare(x.spec.Name, y.spec.Name))
	})
	for _, l := range listeners {
		if l.served() {
			snap.Listeners = append(snap.Listeners, c.buildListener(l, b))
		}
	}
	if c.in.RateLimitStore != nil && hasRateLimits(snap) {
		snap.RateLimitStore = c.in.RateLimitStore
	}
	for _, k := range slices.Sorted(maps.Keys(b.upstreams)) {
		snap.Upstreams = append(snap.Upstreams, b.upstreams[k])
	}
	for _, k := range slices.Sorted(maps.Keys(b.providers)) {
		snap.JwtProviders = append(snap.JwtProviders, b.providers[k])
	}
	encoded, err := setVersionFromParts(snap, b.encoded, len(c.encoded[gw.key]))
	if err != nil {
		// Encoding messages built here cannot fail; an empty version makes every proxy NACK.
		snap.Version = ""
	}
	return snap, encoded
}

func (c *compiler) buildListener(l *listenerIR, b *snapshotBuilder) *snapshotv1.Listener {
	out := &snapshotv1.Listener{Name: string(l.spec.Name), Port: uint32(l.spec.Port), Hostname: l.hostname(), Tls: l.tls, Protocol: snapshotv1.Protocol_HTTP}
	if l.tls != nil {
		out.Protocol = snapshotv1.Protocol_HTTPS
	}
	if l.vhosts == nil {
		layoutListener(l)
	}
	for _, domain := range slices.SortedFunc(maps.Keys(l.vhosts), compareDomains) {
		st := l.vhosts[domain]
		if st.vh == nil {
			c.buildVirtualHost(l, domain, st)
		}
		b.encoded[st.vh] = st.encoded
		for name, up := range st.upstreams {
			b.upstreams[name] = up
		}
		for id, p := range st.providers {
			b.providers[id] = p
		}
		out.VirtualHosts = append(out.VirtualHosts, st.vh)
	}
	return out
}

// vhostState is one domain of a listener: its routes in precedence order and the
// virtual host built from them (nil until built, and again when the routes change).
type vhostState struct {
	flat      []flatRoute
	vh        *snapshotv1.VirtualHost
	encoded   [][]byte
	upstreams map[string]*snapshotv1.Upstream
	providers map[string]*snapshotv1.JwtProvider
}

// layoutListener groups the routes attached to the listener by domain, each domain in
// precedence order.
func layoutListener(l *listenerIR) {
	byDomain := map[string][]flatRoute{}
	for _, a := range l.attachments {
		appendFlat(byDomain, a, "")
	}
	l.vhosts = make(map[string]*vhostState, len(byDomain))
	for domain, flat := range byDomain {
		slices.SortFunc(flat, comparePrecedence)
		l.vhosts[domain] = &vhostState{flat: flat}
	}
}

// appendFlat adds every match of the attached route to the domains it serves (only
// to domain when it is set).
func appendFlat(byDomain map[string][]flatRoute, a *attachment, domain string) {
	for _, host := range a.hostnames {
		if domain != "" && host != domain {
			continue
		}
		for _, rule := range a.route.rules {
			for _, m := range rule.matches {
				byDomain[host] = append(byDomain[host], flatRoute{route: a.route, rule: rule, match: m})
			}
		}
	}
}

// buildVirtualHost builds the virtual host of one domain from its routes, with what
// they reference and the encoding of each route.
func (c *compiler) buildVirtualHost(l *listenerIR, domain string, st *vhostState) {
	vh := &snapshotv1.VirtualHost{Name: string(l.spec.Name) + "/" + domain, Domains: []string{domain}, Routes: make([]*snapshotv1.Route, 0, len(st.flat))}
	st.encoded = make([][]byte, 0, len(st.flat))
	st.upstreams, st.providers = map[string]*snapshotv1.Upstream{}, map[string]*snapshotv1.JwtProvider{}
	var lastUps []*snapshotv1.Upstream
	var lastProviders []*snapshotv1.JwtProvider
	for _, f := range st.flat {
		br := c.builtRoute(l, domain, f)
		vh.Routes = append(vh.Routes, br.proto)
		st.encoded = append(st.encoded, br.encoded)
		if !sameSlice(br.upstreams, lastUps) {
			for _, up := range br.upstreams {
				st.upstreams[up.Name] = up
			}
			lastUps = br.upstreams
		}
		if !sameSlice(br.providers, lastProviders) {
			for _, p := range br.providers {
				st.providers[p.Id] = p
			}
			lastProviders = br.providers
		}
	}
	st.vh = vh
}

// sameSlice reports whether a and b are the same slice (same elements in the same
// memory), a cheap way to skip work already done for the previous route.
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// builtRoute returns the snapshot route of one match on one virtual host, made on
// first use and kept with the route.
func (c *compiler) builtRoute(l *listenerIR, host string, f flatRoute) *builtRoute {
	key := builtKey{gateway: l.gw.index, listener: l.index, host: host, rule: f.rule.index, match: f.match.index}
	for _, e := range f.route.built {
		if e.key == key {
			return e.route
		}
	}
	br := c.buildRoute(l, f)
	br.encoded = encodeRoute(br.proto)
	f.route.built = append(f.route.built, builtEntry{key: key, route: br})
	return br
}

// comparePrecedence orders routes by Gateway API precedence: Exact path, then the
// longest path (prefix before regular expression at equal length), then a method
// match, more header matches, more query matches, the oldest route, the route's
// namespace/name, and finally rule and match order.
func comparePrecedence(a, b flatRoute) int {
	ma, mb := a.match, b.match
	if (ma.pathRank == 0) != (mb.pathRank == 0) {
		if ma.pathRank == 0 {
			return -1
		}
		return 1
	}
	return cmp.Or(
		cmp.Compare(mb.pathLen, ma.pathLen),
		cmp.Compare(ma.pathRank, mb.pathRank),
		cmp.Compare(b2i(mb.method), b2i(ma.method)),
		cmp.Compare(mb.headers, ma.headers),
		cmp.Compare(mb.queries, ma.queries),
		cmp.Compare(a.route.created, b.route.created),
		cmp.Compare(a.route.key.Namespace, b.route.key.Namespace),
		cmp.Compare(a.route.key.Name, b.route.key.Name),
		cmp.Compare(a.rule.index, b.rule.index),
		cmp.Compare(ma.index, mb.index),
	)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildRoute is one snapshot route with the effective options of its listener and rule.
func (c *compiler) buildRoute(l *listenerIR, f flatRoute) *builtRoute {
	rule := f.rule
	r := &snapshotv1.Route{
		Name:           f.route.key.Namespace + "/" + f.route.key.Name + "/rule/" + strconv.Itoa(rule.index) + "/match/" + strconv.Itoa(f.match.index),
		Match:          f.match.proto,
		Filters:        rule.filters,
		Backends:       rule.backends,
		Timeouts:       rule.timeouts,
		DirectResponse: rule.deny,
	}
	eff := c.effectiveJwt(l.options.get(vJwt), rule.options.get(rJwt))
	r.Jwt = eff.auth
	switch rb, vb := rule.options.get(rRbac), l.options.get(vRbac); {
	case rb != nil:
		r.Rbac = rb.opt.rbac
	case vb != nil:
		r.Rbac = vb.opt.rbac
	}
	if u := rule.options.get(rUpgrades); u != nil {
		r.WebsocketDisabled = u.opt.websocketDisabled
	}
	if r.DirectResponse == nil {
		r.DirectResponse = closingResponse(&l.options, &rule.options)
	}
	if r.DirectResponse == nil {
		applyFeatures(r, &l.options, &rule.options)
		r.AiRequest = effectiveAiRequest(&rule.options, rule.upstreams)
		r.AiGuard, r.DirectResponse = effectiveAiGuard(&rule.options, rule.upstreams)
		if r.DirectResponse == nil {
			r.DirectResponse = rewriteConflict(r)
		}
	}
	if r.DirectResponse == nil {
		var closed string
		r.RateLimits, closed = c.routeRateLimits(rateLimitsOf(&l.options, &rule.options), allLLM(rule.upstreams))
		if closed != "" {
			r.DirectResponse = &snapshotv1.DirectResponse{Status: denyStatus, Body: closed}
		}
	}
	return &builtRoute{proto: r, upstreams: rule.upstreams, providers: eff.providers}
}

// effectiveJwt combines the virtual host's stages with the route's changes: a
// disabled stage is removed, a jwtProvidersStaged stage replaces (or adds) the stage.
func (c *compiler) effectiveJwt(v *vhoAttachment, r *rtoAttachment) *effectiveJwt {
	key := jwtKey{}
	if v != nil {
		key.vho = v.opt
	}
	if r != nil {
		key.rto = r.opt
	}
	if e, ok := c.jwtCache[key]; ok {
		return e
	}
	var stages [2]*jwtStageIR
	if key.vho != nil {
		stages = key.vho.stages
	}
	if key.rto != nil {
		for s := range stages {
			if key.rto.disable[s] {
				stages[s] = nil
			}
			if key.rto.replace[s] != nil {
				stages[s] = key.rto.replace[s]
			}
		}
	}
	e := &effectiveJwt{}
	for _, s := range []int{beforeExtAuth, afterExtAuth} {
		if stages[s] == nil {
			continue
		}
		if e.auth == nil {
			e.auth = &snapshotv1.JwtAuthentication{}
		}
		e.auth.Stages = append(e.auth.Stages, stages[s].proto)
		e.providers = append(e.providers, stages[s].providers...)
	}
	c.jwtCache[key] = e
	return e
}

// hasRateLimits reports whether a route of snap has rate limits.
func hasRateLimits(snap *snapshotv1.Snapshot) bool {
	for _, l := range snap.Listeners {
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				if r.RateLimits != nil {
					return true
				}
			}
		}
	}
	return false
}
