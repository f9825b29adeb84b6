package compile

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// closingResponse is the answer of a route that a refused or invalid option covers (a
// virtual host's first, then a route's), or nil.
func closingResponse(v *vhostOptions, r *routeOptions) *snapshotv1.DirectResponse {
	for g := range v.win {
		if a := v.win[g]; a != nil && a.opt.survey.closed(g) != "" {
			return &snapshotv1.DirectResponse{Status: denyStatus, Body: a.opt.survey.closed(g)}
		}
	}
	for g := range r.win {
		if a := r.win[g]; a != nil && a.opt.survey.closed(g) != "" {
			return &snapshotv1.DirectResponse{Status: denyStatus, Body: a.opt.survey.closed(g)}
		}
	}
	return nil
}

// rewriteConflict closes a route whose HTTPRoute URLRewrite filter and RouteOption
// rewrite the same thing: which one wins is not defined, so neither is guessed.
func rewriteConflict(r *snapshotv1.Route) *snapshotv1.DirectResponse {
	rw := r.GetUpstreamRewrite()
	if rw == nil {
		return nil
	}
	for _, f := range r.GetFilters() {
		u := f.GetUrlRewrite()
		switch {
		case u == nil:
		case u.GetPath() != nil && (rw.Prefix != nil || rw.Regex != nil):
			return &snapshotv1.DirectResponse{Status: denyStatus, Body: "route configuration error: the HTTPRoute's URLRewrite filter and the RouteOption's prefixRewrite or regexRewrite both rewrite the path; keep one"}
		case u.GetHostname() != "" && (rw.Host != "" || rw.AutoHost):
			return &snapshotv1.DirectResponse{Status: denyStatus, Body: "route configuration error: the HTTPRoute's URLRewrite filter and the RouteOption's hostRewrite or autoHostRewrite both rewrite the host; keep one"}
		}
	}
	return nil
}

// applyFeatures sets the route's Gloo options from its RouteOptions and its virtual
// host's: the route's replaces the virtual host's, except headerManipulation (both
// apply, the route's first) and the CORS merge settings.
func applyFeatures(r *snapshotv1.Route, v *vhostOptions, ro *routeOptions) {
	rf := func(g int) *routeFeatures {
		if a := ro.get(g); a != nil {
			return a.opt.features
		}
		return nil
	}
	vf := func(g int) *routeFeatures {
		if a := v.get(g); a != nil {
			return a.opt.features
		}
		return nil
	}
	if f := rf(rTimeout); f != nil && f.timeout != nil {
		r.Timeouts = withTimeouts(r.Timeouts, func(t *snapshotv1.Timeouts) { t.Request = f.timeout })
	}
	if f := rf(rIdle); f != nil {
		r.IdleTimeout = f.idle
	}
	if f := rf(rMaxStream); f != nil {
		r.MaxStreamDuration = f.maxStream
	}
	if f := rf(rFaults); f != nil {
		r.Fault = f.fault
	}
	retry := rf(rRetries)
	if retry == nil {
		retry = vf(vRetries)
	}
	if retry != nil && retry.retry != nil {
		r.Retry = retry.retry
		if retry.perTry != nil {
			r.Timeouts = withTimeouts(r.Timeouts, func(t *snapshotv1.Timeouts) { t.BackendRequest = retry.perTry })
		}
	}
	r.IncludeRequestAttemptCount = vf(vAttemptUp) != nil && vf(vAttemptUp).attemptUp
	r.IncludeAttemptCountInResponse = vf(vAttemptDown) != nil && vf(vAttemptDown).attemptDown
	r.Cors = effectiveCors(rf(rCors), vf(vCors), vf(vCorsMerge))
	r.HeaderManipulation = effectiveHeaders(rf(rHeaders), vf(vHeaders))
	r.UpstreamRewrite = effectiveRewrite(rf(rPathRewrite), rf(rHostRewrite))
}

// withTimeouts returns a copy of t (shared by the rule's matches) changed by set.
func withTimeouts(t *snapshotv1.Timeouts, set func(*snapshotv1.Timeouts)) *snapshotv1.Timeouts {
	out := &snapshotv1.Timeouts{}
	if t != nil {
		out = proto.CloneOf(t)
	}
	set(out)
	return out
}

// effectiveCors is the route's CORS policy: the route's replaces the virtual host's
// (disableForRoute turns it off), with the virtual host's exposeHeaders added under
// UNION merge settings.
func effectiveCors(route, vhost, merge *routeFeatures) *snapshotv1.CorsPolicy {
	switch {
	case route != nil && route.corsDisabled:
		return nil
	case route == nil || route.cors == nil:
		if vhost == nil {
			return nil
		}
		return vhost.cors
	case vhost == nil || vhost.cors == nil || merge == nil || !merge.exposeUnion:
		return route.cors
	}
	out := proto.CloneOf(route.cors)
	for _, h := range vhost.cors.GetExposeHeaders() {
		if !slices.Contains(out.ExposeHeaders, h) {
			out.ExposeHeaders = append(out.ExposeHeaders, h)
		}
	}
	return out
}

// effectiveHeaders combines the route's header manipulation and the virtual host's as
// Envoy applies them, route first: a header the virtual host removes is removed after
// the route added it, so the route's addition of it is dropped.
func effectiveHeaders(route, vhost *routeFeatures) *snapshotv1.HeaderManipulation {
	var r, v *snapshotv1.HeaderManipulation
	if route != nil {
		r = route.headers
	}
	if vhost != nil {
		v = vhost.headers
	}
	switch {
	case r == nil:
		return v
	case v == nil:
		return r
	}
	out := &snapshotv1.HeaderManipulation{
		RequestHeadersToRemove:  append(slices.Clone(r.RequestHeadersToRemove), v.RequestHeadersToRemove...),
		ResponseHeadersToRemove: append(slices.Clone(r.ResponseHeadersToRemove), v.ResponseHeadersToRemove...),
	}
	out.RequestHeadersToAdd = append(keepUnremoved(r.RequestHeadersToAdd, v.RequestHeadersToRemove), v.RequestHeadersToAdd...)
	out.ResponseHeadersToAdd = append(keepUnremoved(r.ResponseHeadersToAdd, v.ResponseHeadersToRemove), v.ResponseHeadersToAdd...)
	return out
}

func keepUnremoved(adds []*snapshotv1.HeaderValueOption, removed []string) []*snapshotv1.HeaderValueOption {
	out := make([]*snapshotv1.HeaderValueOption, 0, len(adds))
	for _, a := range adds {
		if !slices.ContainsFunc(removed, func(n string) bool { return strings.EqualFold(n, a.Name) }) {
			out = append(out, a)
		}
	}
	return out
}

// effectiveRewrite combines the path rewrite and the host rewrite, which may come
// from different RouteOptions.
func effectiveRewrite(path, host *routeFeatures) *snapshotv1.UpstreamRewrite {
	var p, h *snapshotv1.UpstreamRewrite
	if path != nil {
		p = path.rewrite
	}
	if host != nil {
		h = host.rewrite
	}
	if p == nil && h == nil {
		return nil
	}
	out := &snapshotv1.UpstreamRewrite{}
	if p != nil {
		out.Prefix, out.Regex = p.Prefix, p.Regex
	}
	if h != nil {
		out.Host, out.AutoHost = h.Host, h.AutoHost
	}
	return out
}

// rateLimitsOf lists the RateLimitConfigs of a route: its virtual host's, then its
// own (limits of both levels apply).
func rateLimitsOf(v *vhostOptions, ro *routeOptions) []rlcRef {
	var out []rlcRef
	for i, g := range [3]int{vRateLimitEarly, vRateLimit, vRateLimitRegular} {
		if a := v.get(g); a != nil && a.opt.features != nil {
			out = append(out, a.opt.features.rateLimits[i]...)
		}
	}
	for i, g := range [3]int{rRateLimitEarly, rRateLimit, rRateLimitRegular} {
		if a := ro.get(g); a != nil && a.opt.features != nil {
			out = append(out, a.opt.features.rateLimits[i]...)
		}
	}
	return out
}

// allLLM reports whether every backend of a rule is an LLM provider (or a failover
// pool of them): its rate limits
// then count tokens.
func allLLM(ups []*snapshotv1.Upstream) bool {
	if len(ups) == 0 {
		return false
	}
	for _, u := range ups {
		if u.GetLlm() == nil && u.GetFailover() == nil {
			return false
		}
	}
	return true
}
