package compile

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// compileBackends resolves the rule's backendRefs. A backend that cannot be resolved
// is left out and the route's ResolvedRefs says why; the remaining backends share the
// traffic, and a rule left with none makes the proxy answer 500.
func (c *compiler) compileBackends(ir *routeIR, rule *ruleIR, refs []gwv1.HTTPBackendRef) {
	for j := range refs {
		ref := &refs[j]
		if len(ref.Filters) > 0 {
			failRule(rule, &ir.partial, string(gwv1.RouteReasonUnsupportedValue),
				fmt.Sprintf("backendRefs[%d]: filters on a backendRef are not supported, so the rule answers 500; move them to the rule", j))
			return
		}
		up, reason, msg := c.resolveBackend(ir.obj, &ref.BackendObjectReference)
		if up == nil {
			ir.resolved.add(reason, fmt.Sprintf("rules[%d].backendRefs[%d]: %s", rule.index, j, msg))
			continue
		}
		weight := uint32(1)
		if ref.Weight != nil {
			weight = uint32(max(*ref.Weight, 0))
		}
		rule.backends = append(rule.backends, &snapshotv1.WeightedBackend{Upstream: up.Name, Weight: weight})
		rule.upstreams = append(rule.upstreams, up)
	}
}

// resolveBackend returns the upstream a backendRef names, or a route condition reason
// and a message saying what to fix.
func (c *compiler) resolveBackend(r *gwv1.HTTPRoute, ref *gwv1.BackendObjectReference) (*snapshotv1.Upstream, string, string) {
	group, kind := groupCore, kindService
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	key := types.NamespacedName{Namespace: r.Namespace, Name: string(ref.Name)}
	if ref.Namespace != nil {
		key.Namespace = string(*ref.Namespace)
	}
	what := fmt.Sprintf("backendRef %s %s", kind, key)
	switch {
	case group == groupCore && kind == kindService, group == groupGloo && kind == kindUpstream:
	default:
		return nil, string(gwv1.RouteReasonInvalidKind), fmt.Sprintf("backendRef %s/%s %s is not supported; use a Service or a gloo.solo.io Upstream", group, kind, key)
	}
	if !c.idx.refAllowed(groupGateway, kindHTTPRoute, r.Namespace, group, kind, key.Namespace, key.Name) {
		return nil, string(gwv1.RouteReasonRefNotPermitted),
			fmt.Sprintf("%s is in another namespace and no ReferenceGrant in %s allows HTTPRoutes from %s to reference it; add one", what, key.Namespace, r.Namespace)
	}
	if kind == kindService {
		return c.serviceBackend(key, ref.Port, what)
	}
	us, ok := c.upstreams[key]
	if !ok {
		return nil, string(gwv1.RouteReasonBackendNotFound), what + " not found; create it or fix the backendRef"
	}
	if !us.usable() {
		return nil, string(gwv1.RouteReasonBackendNotFound), fmt.Sprintf("%s cannot be used (%s); see the Upstream's status", what, us.why())
	}
	return us.proto, "", ""
}

// serviceBackend returns the upstream of a Service port: the Service's cluster DNS name.
func (c *compiler) serviceBackend(key types.NamespacedName, port *gwv1.PortNumber, what string) (*snapshotv1.Upstream, string, string) {
	if port == nil {
		return nil, string(gwv1.RouteReasonUnsupportedValue), what + " needs a port"
	}
	svc, ok := c.idx.services[key]
	if !ok {
		return nil, string(gwv1.RouteReasonBackendNotFound), what + " not found; create it or fix the backendRef"
	}
	found := false
	for _, p := range svc.Spec.Ports {
		found = found || p.Port == *port
	}
	if !found {
		return nil, string(gwv1.RouteReasonBackendNotFound), fmt.Sprintf("%s has no port %d; fix the backendRef's port", what, *port)
	}
	name := "service:" + key.Namespace + "/" + key.Name + ":" + strconv.Itoa(int(*port))
	if up, ok := c.services[name]; ok {
		return up, "", ""
	}
	up := &snapshotv1.Upstream{Name: name, Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
		Endpoints: []*snapshotv1.Endpoint{{Host: key.Name + "." + key.Namespace + ".svc.cluster.local", Port: uint32(*port)}},
	}}}
	c.services[name] = up
	return up, "", ""
}
