package compile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// writeRouteStatuses writes, for every route with a parentRef to one of our Gateways,
// one parent status per such parentRef: Accepted (per parent), ResolvedRefs (for the
// whole route) and, when some rule fails closed for an unsupported value,
// PartiallyInvalid; and the Decision of each route's statuses.
func (c *compiler) writeRouteStatuses() {
	for _, r := range c.idx.sortedRoutes {
		ir := c.routes[nsName(r)]
		if ir == nil {
			continue
		}
		if ir.statuses == nil {
			ir.statuses = c.routeStatus(ir)
		}
		c.written.routes[ir.key] = ir.statuses
		c.written.routeDecisions[ir.key] = RouteStatusDecision(ir.statuses)
	}
}

// routeStatus is the parent statuses of one route.
func (c *compiler) routeStatus(ir *routeIR) []gwv1.RouteParentStatus {
	gen := ir.obj.Generation
	resolved := ir.resolved.condition(string(gwv1.RouteConditionResolvedRefs), string(gwv1.RouteReasonResolvedRefs), "every reference was resolved", gen)
	out := make([]gwv1.RouteParentStatus, 0, len(ir.parents))
	for _, p := range ir.parents {
		conds := []metav1.Condition{
			p.accepted.condition(string(gwv1.RouteConditionAccepted), string(gwv1.RouteReasonAccepted), "the route is attached", gen),
			resolved,
		}
		if len(ir.partial) > 0 {
			conds = append(conds, condition(string(gwv1.RouteConditionPartiallyInvalid), true, ir.partial[0].reason, ir.partial.message(), gen))
		}
		out = append(out, gwv1.RouteParentStatus{ParentRef: p.ref, ControllerName: c.controllerName(), Conditions: conds})
	}
	return out
}
