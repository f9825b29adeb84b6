package compile

import (
	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// writePolicyStatuses writes the status of every option that concerns our Gateways
// (options whose targets are all another controller's get no status from us), and the
// Decision of each RouteOption's.
func (c *compiler) writePolicyStatuses() {
	c.writeVHOStatuses()
	extRefRoutes := c.extRefRoutes()
	for _, o := range c.idx.sortedRTOs {
		if st := c.routeOptionStatus(o, extRefRoutes[c.rtos[nsName(o)]]); st != nil {
			c.written.rtos[nsName(o)] = *st
			c.written.rtoDecisions[nsName(o)] = PolicyStatusDecision(*st)
		}
	}
}

// writeVHOStatuses writes the status of every VirtualHostOption that concerns our
// Gateways.
func (c *compiler) writeVHOStatuses() {
	for _, o := range c.idx.sortedVHOs {
		st := c.vhos[nsName(o)].state
		if len(st.ancestors) > 0 || len(o.Spec.TargetRefs) == 0 {
			c.res.VirtualHostOptions[nsName(o)] = st.status(c.controllerName())
		}
	}
}

// routeOptionStatus is the status of a RouteOption (nil when it gets none from us),
// computed again only when what it is made from changed.
func (c *compiler) routeOptionStatus(o *gatewayv1.RouteOption, extRefs []*routeIR) *gatewayv1.PolicyStatus {
	opt := c.rtos[nsName(o)]
	if opt.status == nil || !c.sameStatusSources(opt.statusSources, o, extRefs) {
		st := c.routeOptionState(o, extRefs)
		opt.status, opt.statusSources = nil, c.statusSources(o, extRefs)
		if len(st.ancestors) > 0 || len(o.Spec.TargetRefs) == 0 {
			s := st.status(c.controllerName())
			opt.status = &s
		}
	}
	return opt.status
}

// statusSources are what a RouteOption's status is made from besides the option
// itself: per targetRef the problem with it or the route it applies to (nil for
// another controller's route), then the routes naming it in ExtensionRef filters.
// While they are the same, so is the status.
func (c *compiler) statusSources(o *gatewayv1.RouteOption, extRefs []*routeIR) []any {
	out := make([]any, 0, len(o.Spec.TargetRefs)+len(extRefs))
	for _, t := range o.Spec.TargetRefs {
		out = append(out, c.targetSource(o, t))
	}
	for _, r := range extRefs {
		out = append(out, r)
	}
	return out
}

// sameStatusSources reports whether statusSources would return prev, without
// allocating.
func (c *compiler) sameStatusSources(prev []any, o *gatewayv1.RouteOption, extRefs []*routeIR) bool {
	if len(prev) != len(o.Spec.TargetRefs)+len(extRefs) {
		return false
	}
	for i, t := range o.Spec.TargetRefs {
		if prev[i] != c.targetSource(o, t) {
			return false
		}
	}
	for i, r := range extRefs {
		if prev[len(o.Spec.TargetRefs)+i] != any(r) {
			return false
		}
	}
	return true
}

func (c *compiler) targetSource(o *gatewayv1.RouteOption, t gatewayv1.RouteTargetReference) any {
	key, prob := resolveRTOTarget(c.idx, o, t)
	if prob != nil {
		return *prob
	}
	if r := c.routes[key]; r != nil {
		return r
	}
	return nil
}

// routeOptionState gathers a RouteOption's status: its compile problems, then one
// ancestor per targetRef (a problem, or what it contributed to that route), then one
// per other route whose ExtensionRef filters name it, in route order.
func (c *compiler) routeOptionState(o *gatewayv1.RouteOption, extRefs []*routeIR) *policyState {
	opt := c.rtos[nsName(o)]
	st := newPolicyState(kindRouteOption, o)
	st.invalid, st.unresolved = opt.invalid, opt.unresolved
	st.options, st.ignoredNote = opt.survey.status, opt.survey.ignoredNote()
	for _, t := range o.Spec.TargetRefs {
		key, prob := resolveRTOTarget(c.idx, o, t)
		switch r := c.routes[key]; {
		case prob != nil:
			st.ancestor(routeParentRef(key)).problems.add(prob.reason, prob.message)
		case r != nil: // a route of our Gateways
			adoptContribution(st, r, opt)
		}
	}
	for _, r := range extRefs {
		adoptContribution(st, r, opt)
	}
	return st
}

// adoptContribution makes the route an ancestor of the option with what the option
// contributed there.
func adoptContribution(st *policyState, r *routeIR, opt *rtoIR) {
	a := st.ancestor(routeParentRef(r.key))
	if src := r.contributionOf(opt); src != nil && !a.applied {
		a.applied, a.contributed, a.shadowed, a.notes = src.applied, src.contributed, src.shadowed, src.notes
	}
}

// extRefRoutes lists, per RouteOption, the routes whose ExtensionRef filters name it,
// in route order.
func (c *compiler) extRefRoutes() map[*rtoIR][]*routeIR {
	out := map[*rtoIR][]*routeIR{}
	for _, r := range c.idx.sortedRoutes {
		ir := c.routes[nsName(r)]
		if ir == nil {
			continue
		}
		for _, rule := range ir.rules {
			for _, opt := range rule.extRefs {
				if list := out[opt]; len(list) == 0 || list[len(list)-1] != ir {
					out[opt] = append(list, ir)
				}
			}
		}
	}
	return out
}
