package proxy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// headerMod is a compiled HeaderModifier: set, then add, then remove.
type headerMod struct {
	set, add []header
	remove   []string
}

type header struct{ name, value string }

func compileHeaderMod(m *snapshotv1.HeaderModifier) *headerMod {
	out := &headerMod{}
	for _, h := range m.GetSet() {
		out.set = append(out.set, header{http.CanonicalHeaderKey(h.GetName()), h.GetValue()})
	}
	for _, h := range m.GetAdd() {
		out.add = append(out.add, header{http.CanonicalHeaderKey(h.GetName()), h.GetValue()})
	}
	for _, n := range m.GetRemove() {
		out.remove = append(out.remove, http.CanonicalHeaderKey(n))
	}
	return out
}

func (m *headerMod) apply(h http.Header) {
	for _, s := range m.set {
		h[s.name] = []string{s.value}
	}
	for _, a := range m.add {
		h[a.name] = append(h[a.name], a.value)
	}
	for _, n := range m.remove {
		delete(h, n)
	}
}

// pathMod is a compiled PathModifier.
type pathMod struct {
	full   bool
	value  string
	prefix string // the route's PATH_PREFIX (no trailing slash), for REPLACE_PREFIX_MATCH
}

func compilePathMod(p *snapshotv1.PathModifier, m *routeMatch) (*pathMod, error) {
	if p == nil {
		return nil, nil
	}
	out := &pathMod{full: p.GetType() == snapshotv1.PathModifierType_REPLACE_FULL_PATH, value: p.GetValue()}
	if !out.full {
		if !m.hasPath || m.pathType != snapshotv1.PathMatchType_PATH_PREFIX {
			return nil, errors.New("ReplacePrefixMatch needs a PathPrefix match")
		}
		out.prefix = m.path
	}
	return out, nil
}

// rewrite returns the new path for p.
func (m *pathMod) rewrite(p string) string {
	if m.full {
		return m.value
	}
	rest := p[len(m.prefix):]
	v := m.value
	if strings.HasSuffix(v, "/") && strings.HasPrefix(rest, "/") {
		v = v[:len(v)-1]
	}
	if out := v + rest; out != "" {
		return out
	}
	return "/"
}

// urlRewrite is a compiled URLRewrite.
type urlRewrite struct {
	hostname string
	path     *pathMod
}

func (u *urlRewrite) apply(r *http.Request) {
	if u.hostname != "" {
		r.Host = u.hostname
	}
	if u.path != nil {
		// The reverse proxy escapes it as it leaves (escapeOutgoingPath).
		r.URL.Path, r.URL.RawPath = u.path.rewrite(r.URL.Path), ""
	}
}

// redirect is a compiled RequestRedirect.
type redirect struct {
	scheme, hostname string
	path             *pathMod
	port             uint32
	status           int
}

func compileRedirect(rr *snapshotv1.RequestRedirect, m *routeMatch) (*redirect, error) {
	out := &redirect{scheme: rr.GetScheme(), hostname: rr.GetHostname(), port: rr.GetPort(), status: int(rr.GetStatusCode())}
	switch out.status {
	case 0:
		out.status = http.StatusFound
	case http.StatusMovedPermanently, http.StatusFound:
	default:
		return nil, fmt.Errorf("redirect status %d is not 301 or 302", out.status)
	}
	if out.scheme != "" && out.scheme != "http" && out.scheme != "https" {
		return nil, fmt.Errorf("redirect scheme %q is not http or https", out.scheme)
	}
	var err error
	out.path, err = compilePathMod(rr.GetPath(), m)
	return out, err
}

// location builds the redirect target for r received on listenerPort.
func (d *redirect) location(r *http.Request, listenerPort uint32) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	port := listenerPort
	if d.scheme != "" {
		scheme, port = d.scheme, 0
	}
	if d.port != 0 {
		port = d.port
	}
	host := stripPort(r.Host)
	if d.hostname != "" {
		host = d.hostname
	}
	if port != 0 && !isDefaultPort(scheme, port) {
		host = net.JoinHostPort(host, strconv.FormatUint(uint64(port), 10))
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	path := r.URL.EscapedPath()
	if d.path != nil {
		path = d.path.rewrite(r.URL.Path)
	}
	loc := scheme + "://" + host + path
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	return loc
}

// isDefaultPort reports whether port is scheme's well-known port, left out of URLs.
func isDefaultPort(scheme string, port uint32) bool {
	return (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
}
