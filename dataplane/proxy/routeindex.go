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
	exact  map[string]positions
	prefix map[string]positions
	always []int32
}

// positions are the positions of the routes under one key, ascending: first, then
// more (nil for the one route most keys have, which needs no allocation).
type positions struct {
	first int32
	more  []int32
}

func (p positions) add(i int32) positions {
	p.more = append(p.more, i)
	return p
}

// maxIndexedLists bounds the candidate lists of one lookup (exact, always and one per
// path segment); a deeper path is served by trying each route in turn.
const maxIndexedLists = 32

func newRouteIndex(routes []*route) *routeIndex {
	x := &routeIndex{exact: map[string]positions{}, prefix: make(map[string]positions, len(routes))}
	for i, rt := range routes {
		m := &rt.match
		switch {
		case !m.hasPath || m.pathType == snapshotv1.PathMatchType_REGULAR_EXPRESSION:
			x.always = append(x.always, int32(i))
		case m.pathType == snapshotv1.PathMatchType_EXACT:
			x.exact[m.path] = insert(x.exact, m.path, int32(i))
		default:
			x.prefix[m.path] = insert(x.prefix, m.path, int32(i))
		}
	}
	return x
}

// insert is the positions under key in m with i (the greatest so far) added.
func insert(m map[string]positions, key string, i int32) positions {
	p, ok := m[key]
	if !ok {
		return positions{first: i}
	}
	return p.add(i)
}

// match returns the first route of vh that fits r, or nil.
func (vh *vhost) match(r *http.Request) *route {
	var q url.Values
	if vh.index == nil {
		return firstMatch(vh.routes, r, &q)
	}
	var lists [maxIndexedLists]cursor
	n := vh.index.candidates(r.URL.Path, &lists)
	if n < 0 {
		return firstMatch(vh.routes, r, &q)
	}
	// Merge the candidate lists (each in precedence order) and try them in order.
	ls := lists[:n]
	for {
		var best *cursor
		for i := range ls {
			if c := &ls[i]; c.left() && (best == nil || c.head() < best.head()) {
				best = c
			}
		}
		if best == nil {
			return nil
		}
		rt := vh.routes[best.head()]
		best.next()
		if rt.match.matches(r, &q) {
			return rt
		}
	}
}

// cursor walks the positions under one key, or a plain list (more only, at >= 0).
type cursor struct {
	p  positions
	at int // -1: at p.first, else the index in p.more
}

func (c *cursor) left() bool { return c.at < len(c.p.more) }

func (c *cursor) head() int32 {
	if c.at < 0 {
		return c.p.first
	}
	return c.p.more[c.at]
}

func (c *cursor) next() { c.at++ }

// candidates fills lists with the routes whose path match can fit p and returns how
// many lists it filled, or -1 when p has more segments than lists holds.
func (x *routeIndex) candidates(p string, lists *[maxIndexedLists]cursor) int {
	n := 0
	if len(x.always) > 0 {
		lists[n] = cursor{p: positions{more: x.always}}
		n++
	}
	if e, ok := x.exact[p]; ok {
		lists[n] = cursor{p: e, at: -1}
		n++
	}
	// Every whole-segment prefix of p: up to each '/' and p itself.
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		e, ok := x.prefix[p[:i]]
		if !ok {
			continue
		}
		if n == len(lists) {
			return -1
		}
		lists[n] = cursor{p: e, at: -1}
		n++
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
