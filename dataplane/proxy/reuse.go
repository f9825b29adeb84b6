package proxy

import (
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// A snapshot with the same upstreams and JWT providers as the table serving reuses the
// compile of every route whose encoding that table has. Routes are looked for where
// they were first (the same virtual host, after the last route found), so that a
// change to some routes of thousands compares each route's bytes once and hashes
// none; a route not there is looked up by encoding among all of them. A virtual host
// whose routes match the same paths in the same order keeps its route index.

// placed is a route of a table and where it is: its virtual host and position.
type placed struct {
	rt  *route
	vh  *vhost
	pos int
}

// vhostKey is a virtual host's key in table.vhosts: its listener's name and its own.
func vhostKey(listener, name string) string { return listener + "\x00" + name }

// virtualHost compiles the virtual host v of the listener named listener.
func (c *compiler) virtualHost(listener string, v *snapshotv1.VirtualHostLayout) (*vhost, error) {
	vh := &vhost{name: v.Name, routes: make([]*route, 0, len(v.Routes))}
	var was *vhost
	if c.prev != nil {
		was = c.prev.vhosts[vhostKey(listener, v.Name)]
	}
	next := 0 // the position in was to look at first
	for i, b := range v.Routes {
		rt := c.reuse(was, &next, b)
		if rt == nil {
			var err error
			if rt, err = c.compileRouteBytes(i, b); err != nil {
				return nil, err
			}
		}
		vh.routes = append(vh.routes, rt)
	}
	switch {
	case len(vh.routes) < indexedRoutes:
	case was != nil && was.index != nil && samePaths(was.routes, vh.routes):
		vh.index = was.index
	default:
		vh.index = newRouteIndex(vh.routes)
	}
	return vh, nil
}

// maxNearbyMisses is how many routes of a snapshot may be looked for in vain near
// where they were before the rest are looked up by encoding among all.
const maxNearbyMisses = 8

// reuse returns the previous compile of the route encoded as b, or nil: was's route
// near *next (snapshotv1.Nearby) when it has these bytes, else, past maxNearbyMisses
// routes not found nearby, any route of the table serving that has them.
func (c *compiler) reuse(was *vhost, next *int, b []byte) *route {
	if c.prev == nil {
		return nil
	}
	if was != nil {
		i, ok := snapshotv1.Nearby(len(was.routes), next, func(i int) bool { return was.routes[i].encoding == string(b) })
		if ok {
			c.reused++
			return was.routes[i]
		}
	}
	if c.misses++; c.misses <= maxNearbyMisses {
		return nil
	}
	p, ok := c.previousByEncoding()[string(b)]
	if !ok {
		return nil
	}
	if p.vh == was {
		*next = p.pos + 1
	}
	c.reused++
	return p.rt
}

// previousByEncoding indexes the routes of the table serving by encoding.
func (c *compiler) previousByEncoding() map[string]placed {
	if c.byEncoding != nil {
		return c.byEncoding
	}
	n := 0
	for _, vh := range c.prev.vhosts {
		n += len(vh.routes)
	}
	c.byEncoding = make(map[string]placed, n)
	for _, vh := range c.prev.vhosts {
		for i, rt := range vh.routes {
			if _, dup := c.byEncoding[rt.encoding]; !dup {
				c.byEncoding[rt.encoding] = placed{rt: rt, vh: vh, pos: i}
			}
		}
	}
	return c.byEncoding
}

// samePaths reports whether a and b match the same paths position by position, which
// is all a route index depends on.
func samePaths(a, b []*route) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i].match, &b[i].match
		if a[i] != b[i] && (x.hasPath != y.hasPath || x.pathType != y.pathType || x.path != y.path) {
			return false
		}
	}
	return true
}
