package compile

import (
	"cmp"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// intersectHostnames returns the hostnames a route serves on a listener: the route's
// hostnames that the listener's hostname admits (a wildcard narrowed to the more
// specific side), or the listener's hostname ("*" when unset) when the route sets none.
func intersectHostnames(listener string, route []gwv1.Hostname) []string {
	if len(route) == 0 {
		if listener == "" {
			return []string{"*"}
		}
		return []string{listener}
	}
	var out []string
	for _, h := range route {
		if m := intersectHostname(listener, string(h)); m != "" {
			out = append(out, m)
		}
	}
	return sortedUnique(out)
}

func intersectHostname(listener, route string) string {
	if listener == "" || listener == route {
		return route
	}
	lw, rw := strings.HasPrefix(listener, "*."), strings.HasPrefix(route, "*.")
	switch {
	case lw && rw:
		if strings.HasSuffix(route[1:], listener[1:]) {
			return route
		}
		if strings.HasSuffix(listener[1:], route[1:]) {
			return listener
		}
	case lw:
		if strings.HasSuffix(route, listener[1:]) {
			return route
		}
	case rw:
		if strings.HasSuffix(listener, route[1:]) {
			return listener
		}
	}
	return ""
}

// compareDomains orders a listener's virtual hosts most specific first: exact names,
// then wildcards with more labels first, then "*"; ties by name.
func compareDomains(a, b string) int {
	return cmp.Or(cmp.Compare(domainRank(a), domainRank(b)),
		cmp.Compare(strings.Count(b, "."), strings.Count(a, ".")),
		cmp.Compare(a, b))
}

func domainRank(d string) int {
	switch {
	case d == "*":
		return 2
	case strings.HasPrefix(d, "*."):
		return 1
	default:
		return 0
	}
}
