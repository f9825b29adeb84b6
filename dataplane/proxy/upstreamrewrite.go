package proxy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"regexp"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// upstreamRewrite is a compiled UpstreamRewrite (Gloo's prefixRewrite, regexRewrite,
// hostRewrite and autoHostRewrite): it changes the path and Host of the request sent
// upstream, after the route's filters and header manipulation. The path it writes is
// escaped as it leaves, like every rewritten path (escapeOutgoingPath).
//
// Behaviour where Gloo and Envoy leave a choice:
//   - prefix is Envoy's prefix_rewrite: a plain string replacement of what the match
//     matched, so "/openai" rewritten to "/" sends "/openai/v1" as "//v1" (Envoy's
//     documentation asks for a second route matching "/openai/" for that). A prefix
//     set to "" rewrites nothing: Envoy ignores an empty prefix_rewrite, as Gloo's
//     documentation says.
//   - A rewritten path that does not start with '/' gets one.
//   - prefix and regex, or host and auto_host, cannot both be set (Envoy refuses them
//     too), nor a path or host rewrite that a URLRewrite filter of the route also
//     makes: the snapshot is rejected rather than one silently winning.
//   - A route that never forwards (a redirect, a direct response) ignores it.
//   - On an LLM upstream the provider's adapter has the last word: it sets the
//     provider's Host (host and auto_host do not reach the provider) and maps the
//     path as the provider needs (Azure's deployment path, a custom host's full path).
type upstreamRewrite struct {
	prefix *prefixRewrite
	regex  *regexp.Regexp
	subst  string // Go's replacement syntax
	host   string
	// autoHost sends the chosen endpoint's host (and port, unless the scheme's
	// default) as Host; the backend's reverse proxy does it (proxyFor).
	autoHost bool
}

// prefixRewrite replaces what the route's path match matched with value.
type prefixRewrite struct {
	whole   bool   // EXACT or REGULAR_EXPRESSION: the whole path was matched
	matched string // the PATH_PREFIX value as written in the route
	value   string
}

func compileUpstreamRewrite(r *snapshotv1.Route, rt *route) (*upstreamRewrite, error) {
	u := r.GetUpstreamRewrite()
	if u == nil || rt.redirect != nil || r.GetDirectResponse() != nil {
		return nil, nil
	}
	out := &upstreamRewrite{host: u.GetHost(), autoHost: u.GetAutoHost()}
	if u.GetPrefix() != "" {
		out.prefix = newPrefixRewrite(r.GetMatch().GetPath(), u.GetPrefix())
	}
	if re := u.GetRegex(); re != nil {
		if err := out.compileRegex(re); err != nil {
			return nil, fmt.Errorf("upstream rewrite: regex: %w", err)
		}
	}
	if err := out.check(rt.rewrite); err != nil {
		return nil, fmt.Errorf("upstream rewrite: %w", err)
	}
	if out.prefix == nil && out.regex == nil && out.host == "" && !out.autoHost {
		return nil, nil
	}
	return out, nil
}

func newPrefixRewrite(p *snapshotv1.PathMatch, value string) *prefixRewrite {
	switch {
	case p == nil:
		return &prefixRewrite{matched: "/", value: value}
	case p.GetType() == snapshotv1.PathMatchType_PATH_PREFIX:
		return &prefixRewrite{matched: p.GetValue(), value: value}
	default:
		return &prefixRewrite{whole: true, value: value}
	}
}

// check refuses settings that contradict each other or the route's URLRewrite filter.
func (u *upstreamRewrite) check(filter *urlRewrite) error {
	switch {
	case u.prefix != nil && u.regex != nil:
		return errors.New("prefix and regex cannot both be set")
	case u.host != "" && u.autoHost:
		return errors.New("host and auto_host cannot both be set")
	case filter != nil && filter.path != nil && (u.prefix != nil || u.regex != nil):
		return errors.New("the route's URLRewrite filter already rewrites the path")
	case filter != nil && filter.hostname != "" && (u.host != "" || u.autoHost):
		return errors.New("the route's URLRewrite filter already rewrites the host")
	}
	if u.host != "" && !validHostHeader(u.host) {
		return fmt.Errorf("host %q is not a valid Host header", u.host)
	}
	if u.prefix != nil && strings.IndexFunc(u.prefix.value, isControl) >= 0 {
		return errors.New("prefix has a control character")
	}
	return nil
}

func (u *upstreamRewrite) compileRegex(re *snapshotv1.RegexRewrite) error {
	var err error
	if u.regex, err = regexp.Compile(re.GetPattern()); err != nil {
		return err
	}
	if strings.IndexFunc(re.GetSubstitution(), isControl) >= 0 {
		return errors.New("substitution has a control character")
	}
	u.subst, err = goSubstitution(re.GetSubstitution(), u.regex.NumSubexp())
	return err
}

// goSubstitution turns an RE2 rewrite string (\0 to \9 name the match and its groups,
// \\ is a backslash) into regexp's replacement syntax (${1}, and $$ for a '$').
func goSubstitution(s string, groups int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c != '\\':
			b.WriteByte(c)
		case i+1 == len(s):
			return "", errors.New(`substitution ends with a lone \`)
		default:
			i++
			switch d := s[i]; {
			case d == '\\':
				b.WriteByte('\\')
			case d >= '0' && d <= '9':
				if int(d-'0') > groups {
					return "", fmt.Errorf(`substitution names \%c but the pattern has %d groups`, d, groups)
				}
				b.WriteString("${" + string(d) + "}")
			default:
				return "", fmt.Errorf(`substitution has \%c: only \0-\9 and \\ may follow a \`, d)
			}
		}
	}
	return b.String(), nil
}

// apply rewrites r's path and Host; nil rewrites nothing.
func (u *upstreamRewrite) apply(r *http.Request) {
	if u == nil {
		return
	}
	p := r.URL.Path
	switch {
	case u.prefix != nil:
		p = u.prefix.rewrite(p)
	case u.regex != nil:
		p = u.regex.ReplaceAllString(p, u.subst)
	}
	if p != r.URL.Path {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		// The reverse proxy escapes it as it leaves (escapeOutgoingPath).
		r.URL.Path, r.URL.RawPath = p, ""
	}
	if u.host != "" {
		r.Host = u.host
	}
}

// rewrite replaces the matched part of p: the prefix as written when p starts with
// it, else (a segment match of "/a/" on "/a") the prefix without its trailing slash.
func (pr *prefixRewrite) rewrite(p string) string {
	if pr.whole {
		return pr.value
	}
	m := pr.matched
	if !strings.HasPrefix(p, m) {
		m = strings.TrimRight(m, "/")
	}
	if !strings.HasPrefix(p, m) {
		return p // not matched by this route's path: never the case once routed
	}
	return pr.value + p[len(m):]
}

// validHostHeader reports whether h may be sent as Host: the bytes of a host name, an
// IPv4 or bracketed IPv6 address and a port (RFC 3986 reg-name, IP-literal and port).
func validHostHeader(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && strings.IndexByte("-._~%!$&'()*+,;=:[]", c) < 0 {
			return false
		}
	}
	return true
}

// proxyFor is the reverse proxy that sends rt's requests to u: the one that rewrites
// Host to the chosen endpoint for a route with auto_host on a static upstream.
func (u *upstream) proxyFor(rt *route) *httputil.ReverseProxy {
	if rt.upstreamRewrite != nil && rt.upstreamRewrite.autoHost && u.autoHostProxy != nil {
		return u.autoHostProxy
	}
	return u.proxy
}

// newAutoHostProxy returns u's reverse proxy sending each endpoint's authority as
// Host, or nil for an LLM upstream, whose adapter sends the provider's Host.
func (u *upstream) newAutoHostProxy() *httputil.ReverseProxy {
	if u.llm() || u.proxy == nil {
		return nil
	}
	hosts := make(map[string]string, len(u.endpoints))
	for _, ep := range u.endpoints {
		hosts[ep.Scheme+"://"+ep.HostPort] = endpointAuthority(ep)
	}
	p := *u.proxy
	p.Rewrite = func(pr *httputil.ProxyRequest) {
		u.rewrite(pr)
		pr.Out.Host = hosts[pr.Out.URL.Scheme+"://"+pr.Out.URL.Host]
	}
	return &p
}

// endpointAuthority is the Host a client would send for ep: host:port, or the host
// alone on the scheme's default port.
func endpointAuthority(ep llm.Endpoint) string {
	host, port, err := net.SplitHostPort(ep.HostPort)
	if err != nil || (ep.Scheme == "http" && port == "80") || (ep.Scheme == "https" && port == "443") {
		if strings.Contains(ep.Host, ":") {
			return "[" + ep.Host + "]"
		}
		return ep.Host
	}
	return net.JoinHostPort(host, port)
}
