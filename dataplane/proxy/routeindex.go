package proxy

import (
	"net/http"
	"net/url"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// indexedRoutes is how many routes a virtual host needs before it is indexed: below it,
// trying each route in turn is as fast.
const indexedRoutes = 16

// routeIndex finds the routes of a virtual host whose path match can fit a request's
// path, in precedence order, without trying the others: exact paths by path, prefixes
// by prefix (a request path has one candidate prefix per segment), and routes matching
// by expression or on no path in a list tried for every path.
type routeIndex struct {
	exact  map[string][]int32
	prefix map[string][]int32
	always []int32
}

// maxIndexedLists bounds the candidate lists of one lookup (exact, always and one per
// path segment); a deeper path is served by trying each route in turn.
const maxIndexedLists = 32

func newRouteIndex(routes []*route) *routeIndex {
	x := &routeIndex{exact: map[string][]int32{}, prefix: map[string][]int32{}}
	for i, rt := range routes {
		m := &rt.match
		switch {
		case !m.hasPath || m.pathType == snapshotv1.PathMatchType_REGULAR_EXPRESSION:
			x.always = append(x.always, int32(i))
		case m.pathType == snapshotv1.PathMatchType_EXACT:
			x.exact[m.path] = append(x.exact[m.path], int32(i))
		default:
			x.prefix[m.path] = append(x.prefix[m.path], int32(i))
		}
	}
	return x
}

// match returns the first route of vh that fits r, or nil.
func (vh *vhost) match(r *http.Request) *route {
	var q url.Values
	if vh.index == nil {
		return firstMatch(vh.routes, r, &q)
	}
	var lists [maxIndexedLists][]int32
	n := vh.index.candidates(r.URL.Path, &lists)
	if n < 0 {
		return firstMatch(vh.routes, r, &q)
	}
	// Merge the candidate lists (each in precedence order) and try them in order.
	for {
		best := -1
		for i := range n {
			if len(lists[i]) > 0 && (best < 0 || lists[i][0] < lists[best][0]) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		rt := vh.routes[lists[best][0]]
		lists[best] = lists[best][1:]
		if rt.match.matches(r, &q) {
			return rt
		}
	}
}

// candidates fills lists with the routes whose path match can fit p and returns how
// many lists it filled, or -1 when p has more segments than lists holds.
func (x *routeIndex) candidates(p string, lists *[maxIndexedLists][]int32) int {
	n := 0
	add := func(l []int32) bool {
		if len(l) == 0 {
			return true
		}
		if n == len(lists) {
			return false
		}
		lists[n] = l
		n++
		return true
	}
	add(x.always)
	add(x.exact[p])
	// Every whole-segment prefix of p: up to each '/' and p itself.
	for i := 0; i <= len(p); i++ {
		if (i == len(p) || p[i] == '/') && !add(x.prefix[p[:i]]) {
			return -1
		}
	}
	return n
}

// firstMatch is the first of routes that fits r, or nil.
func firstMatch(routes []*route, r *http.Request, q *url.Values) *route {
	for _, rt := range routes {
		if rt.match.matches(r, q) {
			return rt
		}
	}
	return nil
}
