package proxy

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// A route's CORS policy (Gloo's cors) behaves as Envoy's CORS filter, which Gloo places
// before JWT authentication:
//   - A preflight (OPTIONS with an Origin and an Access-Control-Request-Method) from an
//     allowed origin is answered by the proxy itself, before authentication (a
//     preflight carries no credentials): 200, no body, access-control-allow-origin (the
//     request's origin), -allow-credentials, -allow-methods, -allow-headers, -max-age.
//     "*" as allow_methods or allow_headers echoes what the preflight asks for.
//   - A preflight from an origin not allowed is forwarded like any request (Envoy's
//     forward_not_matching_preflights, true by default).
//   - Any other request from an allowed origin gets access-control-allow-origin,
//     -allow-credentials and -expose-headers on whatever answers it, the proxy's 401 and
//     403 included, so a browser can read them; from other origins nothing is added.
//   - An origin is allowed when it equals one of allow_origin ("*" allows every origin)
//     or matches one of allow_origin_regex whole. Envoy echoes the origin even when "*"
//     allowed it, and so does the proxy.
//   - A request with several Origin values is no CORS request: Envoy joins them into
//     one value that names no origin.
type corsPolicy struct {
	anyOrigin bool
	origins   map[string]struct{}
	regexes   []*regexp.Regexp

	allowMethods, allowHeaders, exposeHeaders, maxAge string
	credentials                                       bool
	// exposeValue is exposeHeaders as a header value, shared by every answer.
	exposeValue []string
}

// decisionPreflight labels a preflight the proxy answered.
const decisionPreflight = "cors_preflight"

// Header names of the CORS protocol, canonical.
const (
	hdrOrigin           = "Origin"
	hdrRequestMethod    = "Access-Control-Request-Method"
	hdrRequestHeaders   = "Access-Control-Request-Headers"
	hdrAllowOrigin      = "Access-Control-Allow-Origin"
	hdrAllowCredentials = "Access-Control-Allow-Credentials"
	hdrAllowMethods     = "Access-Control-Allow-Methods"
	hdrAllowHeaders     = "Access-Control-Allow-Headers"
	hdrMaxAge           = "Access-Control-Max-Age"
	hdrExposeHeaders    = "Access-Control-Expose-Headers"
)

var corsTrue = []string{"true"}

// compileCors validates p; nil gives nil.
func compileCors(p *snapshotv1.CorsPolicy) (*corsPolicy, error) {
	if p == nil {
		return nil, nil
	}
	c := &corsPolicy{
		origins:      map[string]struct{}{},
		allowMethods: strings.Join(p.GetAllowMethods(), ","), allowHeaders: strings.Join(p.GetAllowHeaders(), ","),
		exposeHeaders: strings.Join(p.GetExposeHeaders(), ","), maxAge: p.GetMaxAge(),
		credentials: p.GetAllowCredentials(),
	}
	if c.exposeHeaders != "" {
		c.exposeValue = []string{c.exposeHeaders}
	}
	for _, o := range p.GetAllowOrigin() {
		c.anyOrigin = c.anyOrigin || o == "*"
		c.origins[o] = struct{}{}
	}
	for i, expr := range p.GetAllowOriginRegex() {
		re, err := wholeRegexp(expr)
		if err != nil {
			return nil, fmt.Errorf("cors: allow_origin_regex %d: %w", i, err)
		}
		c.regexes = append(c.regexes, re)
	}
	for name, v := range map[string]string{
		"allow_methods": c.allowMethods, "allow_headers": c.allowHeaders,
		"expose_headers": c.exposeHeaders, "max_age": c.maxAge,
	} {
		if strings.IndexFunc(v, isControl) >= 0 {
			return nil, fmt.Errorf("cors: %s has a control character", name)
		}
	}
	return c, nil
}

// allowedOrigin returns the request's Origin values (exactly one) when the policy
// allows that origin.
func (c *corsPolicy) allowedOrigin(h http.Header) ([]string, bool) {
	vs := h[hdrOrigin]
	if len(vs) != 1 || vs[0] == "" {
		return nil, false
	}
	vs = vs[:1:1] // shared with the answer: an append there never writes into the request's
	if _, ok := c.origins[vs[0]]; ok || c.anyOrigin {
		return vs, true
	}
	for _, re := range c.regexes {
		if re.MatchString(vs[0]) {
			return vs, true
		}
	}
	return nil, false
}

// serve runs the policy on r before authentication. It answers a preflight from an
// allowed origin and reports true; for another request from an allowed origin it makes
// rw add the CORS headers to the answer.
func (c *corsPolicy) serve(rw *responseWriter, r *http.Request) bool {
	origin, ok := c.allowedOrigin(r.Header)
	if !ok {
		return false
	}
	if r.Method != http.MethodOptions || r.Header.Get(hdrRequestMethod) == "" {
		rw.cors, rw.corsOrigin = c, origin
		return false
	}
	h := rw.Header()
	h[hdrAllowOrigin] = origin
	if c.credentials {
		h[hdrAllowCredentials] = corsTrue
	}
	setCorsList(h, hdrAllowMethods, c.allowMethods, r.Header.Get(hdrRequestMethod))
	setCorsList(h, hdrAllowHeaders, c.allowHeaders, r.Header.Get(hdrRequestHeaders))
	if c.maxAge != "" {
		h[hdrMaxAge] = []string{c.maxAge}
	}
	rw.decision = decisionPreflight
	rw.WriteHeader(http.StatusOK)
	return true
}

// setCorsList sets name to value, or to what the preflight asked for when value is "*".
func setCorsList(h http.Header, name, value, asked string) {
	if value == "*" {
		value = asked
	}
	if value != "" {
		h[name] = []string{value}
	}
}

// addTo sets the CORS headers of an answer to a request from origin (the request's
// Origin values), replacing any the upstream sent, as Envoy does. The values are shared,
// never appended to in place: a later Add copies them.
func (c *corsPolicy) addTo(h http.Header, origin []string) {
	h[hdrAllowOrigin] = origin
	if c.credentials {
		h[hdrAllowCredentials] = corsTrue
	}
	if c.exposeValue != nil {
		h[hdrExposeHeaders] = c.exposeValue
	}
}
