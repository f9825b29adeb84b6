package proxy

import (
	"fmt"
	"sort"
	"strings"
)

// hostTable finds the virtual host of a Host header: exact domains first, then "*.suffix"
// wildcards longest suffix first, then "*".
type hostTable struct {
	exact     map[string]*vhost
	wildcards []wildcardHost
	any       *vhost
}

type wildcardHost struct {
	suffix string // ".example.com" for "*.example.com"
	vh     *vhost
}

func newHostTable() hostTable { return hostTable{exact: map[string]*vhost{}} }

// add registers vh's domains; a domain already taken by an earlier virtual host stays
// with it.
func (t *hostTable) add(vh *vhost, domains []string) error {
	for _, d := range domains {
		d = strings.ToLower(d)
		switch {
		case d == "*":
			if t.any == nil {
				t.any = vh
			}
		case strings.HasPrefix(d, "*."):
			if !t.hasWildcard(d[1:]) {
				t.wildcards = append(t.wildcards, wildcardHost{suffix: d[1:], vh: vh})
			}
		case d == "" || strings.Contains(d, "*"):
			return fmt.Errorf("virtual host %s: invalid domain %q", vh.name, d)
		default:
			if _, ok := t.exact[d]; !ok {
				t.exact[d] = vh
			}
		}
	}
	sort.SliceStable(t.wildcards, func(i, j int) bool { return len(t.wildcards[i].suffix) > len(t.wildcards[j].suffix) })
	return nil
}

func (t *hostTable) hasWildcard(suffix string) bool {
	for _, w := range t.wildcards {
		if w.suffix == suffix {
			return true
		}
	}
	return false
}

// lookup returns the virtual host serving host (a Host header, port allowed), or nil.
func (t *hostTable) lookup(host string) *vhost {
	host = strings.ToLower(stripPort(host))
	if vh, ok := t.exact[host]; ok {
		return vh
	}
	for _, w := range t.wildcards {
		if len(host) > len(w.suffix) && strings.HasSuffix(host, w.suffix) {
			return w.vh
		}
	}
	return t.any
}

// stripPort removes a trailing ":port" from a host, IPv6 literals included.
func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	host = host[:i]
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}
