package proxy

import (
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// compileHTTPOptions compiles the Gloo route options that shape the HTTP exchange: CORS,
// header manipulation and the upstream rewrite. It runs once the route's filters are
// compiled, since the header manipulation runs after them and the upstream rewrite must
// not contradict them.
func (c *compiler) compileHTTPOptions(rt *route, r *snapshotv1.Route) error {
	var err error
	if rt.cors, err = compileCors(r.GetCors()); err != nil {
		return err
	}
	req, resp, err := compileHeaderManipulation(r.GetHeaderManipulation(), c.claimHeaders)
	if err != nil {
		return err
	}
	rt.reqMods = append(rt.reqMods, req...)
	rt.respMods = append(rt.respMods, resp...)
	rt.upstreamRewrite, err = compileUpstreamRewrite(r, rt)
	return err
}
