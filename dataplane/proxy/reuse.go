package proxy

import (
	"bytes"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// A snapshot with the same upstreams and JWT providers as the table serving reuses the
// compile of every route whose encoding that table has, found with a
// snapshotv1.RouteFinder among the table's routes in snapshot order (table.routes). A
// virtual host whose routes match the same paths in the same order keeps its route
// index.

// vhostKey is a virtual host's key in table.vhosts: its listener's name and its own.
func vhostKey(listener, name string) string { return listener + "\x00" + name }

// virtualHost compiles the virtual host v of the listener named listener, adding its
// routes to t.routes.
func (c *compiler) virtualHost(t *table, listener string, v *snapshotv1.VirtualHostLayout) (*vhost, error) {
	vh := &vhost{name: v.Name, routes: make([]*route, 0, len(v.Routes))}
	for i, b := range v.Routes {
		rt := c.reuse(b)
		if rt == nil {
			var err error
			if rt, err = c.compileRouteBytes(i, b); err != nil {
				return nil, err
			}
		}
		vh.routes = append(vh.routes, rt)
	}
	t.routes = append(t.routes, vh.routes...)
	var was *vhost
	if c.prev != nil {
		was = c.prev.vhosts[vhostKey(listener, v.Name)]
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

// reuse returns the table serving's compile of the route encoded as b, or nil.
func (c *compiler) reuse(b []byte) *route {
	if c.prev == nil {
		return nil
	}
	if c.finder == nil {
		prev := c.prev.routes
		c.finder = snapshotv1.NewRouteFinder(len(prev), func(i int) []byte { return prev[i].encoding })
	}
	i, ok := c.finder.Find(b)
	if !ok {
		return nil
	}
	c.reused++
	return c.prev.routes[i]
}

// compiledEncoding is the encoding a compiled route keeps: a copy, so that routes
// reused by later tables do not keep the snapshot they came in alive.
func compiledEncoding(b []byte) []byte { return bytes.Clone(b) }

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
