package compile

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// gatewayIR is one Gateway of our controller being compiled.
type gatewayIR struct {
	index     int // among our Gateways, in namespace/name order
	obj       *gwv1.Gateway
	key       types.NamespacedName
	listeners []*listenerIR // in spec order
	byName    map[gwv1.SectionName]*listenerIR
}

// controllerName is the controller the inputs select, ControllerName when unset.
func (c *compiler) controllerName() gwv1.GatewayController {
	if c.in.ControllerName == "" {
		return ControllerName
	}
	return c.in.ControllerName
}

// selectGateways accepts the GatewayClasses of our controllerName and picks their
// Gateways. Gateways of other classes get neither a snapshot nor a status from us.
func (c *compiler) selectGateways() {
	ours := map[string]bool{}
	for _, gc := range c.idx.sortedClasses {
		if gc.Spec.ControllerName != c.controllerName() {
			continue
		}
		ours[gc.Name] = true
		c.res.GatewayClasses[gc.Name] = c.classStatus(gc)
	}
	for _, gw := range c.idx.sortedGateways {
		if ours[string(gw.Spec.GatewayClassName)] {
			ir := &gatewayIR{index: len(c.gateways), obj: gw, key: nsName(gw), byName: map[gwv1.SectionName]*listenerIR{}}
			c.gateways = append(c.gateways, ir)
			c.gatewayByKey[ir.key] = ir
		}
	}
}

// classStatus is the status of a GatewayClass of our controller.
func (c *compiler) classStatus(gc *gwv1.GatewayClass) []metav1.Condition {
	return []metav1.Condition{condition(
		string(gwv1.GatewayClassConditionStatusAccepted), true, string(gwv1.GatewayClassReasonAccepted),
		fmt.Sprintf("GatewayClass %s is handled by %s", gc.Name, c.controllerName()), gc.Generation)}
}

// writeEnvironmentStatuses writes the statuses that depend on neither HTTPRoutes nor
// RouteOptions (GatewayClasses, Upstreams, VirtualHostOptions) from what was compiled.
func (c *compiler) writeEnvironmentStatuses() {
	for _, gc := range c.idx.sortedClasses {
		if gc.Spec.ControllerName == c.controllerName() {
			c.res.GatewayClasses[gc.Name] = c.classStatus(gc)
		}
	}
	for _, us := range c.idx.sortedUpstreams {
		c.res.Upstreams[nsName(us)] = upstreamStatus(us, c.upstreams[nsName(us)])
	}
	for _, o := range c.idx.sortedRLCs {
		c.res.RateLimitConfigs[nsName(o)] = c.rlcs[nsName(o)].status()
	}
	c.writeVHOStatuses()
}

// ourGateway returns the Gateway of our controller named key, or nil.
func (c *compiler) ourGateway(key types.NamespacedName) *gatewayIR {
	return c.gatewayByKey[key]
}

// status is the Gateway's Accepted condition and listener statuses. Programmed and
// addresses are the reconciler's, as they depend on the proxies.
func (g *gatewayIR) status() gwv1.GatewayStatus {
	st := gwv1.GatewayStatus{}
	invalid := 0
	for _, l := range g.listeners {
		st.Listeners = append(st.Listeners, l.status())
		if !l.served() {
			invalid++
		}
	}
	gen := g.obj.Generation
	switch {
	case invalid == 0:
		st.Conditions = []metav1.Condition{condition(string(gwv1.GatewayConditionAccepted), true, string(gwv1.GatewayReasonAccepted), "the Gateway is compiled into a snapshot", gen)}
	case invalid < len(g.listeners):
		st.Conditions = []metav1.Condition{condition(string(gwv1.GatewayConditionAccepted), true, string(gwv1.GatewayReasonListenersNotValid),
			fmt.Sprintf("%d of %d listeners are not served; see their status", invalid, len(g.listeners)), gen)}
	default:
		st.Conditions = []metav1.Condition{condition(string(gwv1.GatewayConditionAccepted), false, string(gwv1.GatewayReasonListenersNotValid),
			"no listener can be served; see the listener statuses", gen)}
	}
	return st
}
