package compile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// compiler holds the state of one Compile call. Nothing in it outlives the call.
type compiler struct {
	in  *Inputs
	idx *index
	res Result

	// upstreams are every compiled gloo.solo.io Upstream.
	upstreams map[types.NamespacedName]*upstreamIR
	// keys caches the validation of local key material by content.
	keys map[string]error
	// vhos and rtos are the compiled options, with their status being built.
	vhos map[types.NamespacedName]*vhoIR
	rtos map[types.NamespacedName]*rtoIR
	// gateways are the Gateways of our controller, in namespace/name order.
	gateways     []*gatewayIR
	gatewayByKey map[types.NamespacedName]*gatewayIR
	// routes are the compiled HTTPRoutes with a parentRef to one of our Gateways.
	routes map[types.NamespacedName]*routeIR
	// rtoByRoute are the RouteOptions whose targetRefs name each HTTPRoute, oldest first.
	rtoByRoute map[types.NamespacedName][]*rtoAttachment
	// services are the upstreams made for Service backends, by upstream name.
	services map[string]*snapshotv1.Upstream
	// jwtCache shares the effective JWT authentication of equal option pairs.
	jwtCache map[jwtKey]*effectiveJwt
}

// Compile turns the objects that feed claimgate's Gateways into one snapshot per
// Gateway of in.ControllerName and the status of every object involved. It is pure:
// no clock, no API calls, no goroutines, and the order of the input slices does not
// matter. The snapshots may share immutable sub-messages: do not modify them.
func Compile(in Inputs) Result {
	c := newCompiler(&in)
	c.compileUpstreams()
	c.selectGateways()
	for _, gw := range c.gateways {
		c.buildListeners(gw)
	}
	c.attachRoutes()
	c.compileOptions()
	c.indexRouteOptions()
	c.compileRoutes()
	c.attachVirtualHostOptions()
	for _, gw := range c.gateways {
		c.res.Snapshots[gw.key] = c.buildSnapshot(gw)
		c.res.Gateways[gw.key] = gw.status()
	}
	c.writeRouteStatuses()
	c.writePolicyStatuses()
	return c.res
}

func newCompiler(in *Inputs) *compiler {
	return &compiler{
		in:  in,
		idx: buildIndex(in),
		res: Result{
			Snapshots:          map[types.NamespacedName]*snapshotv1.Snapshot{},
			GatewayClasses:     map[string][]metav1.Condition{},
			Gateways:           map[types.NamespacedName]gwv1.GatewayStatus{},
			HTTPRoutes:         map[types.NamespacedName][]gwv1.RouteParentStatus{},
			VirtualHostOptions: map[types.NamespacedName]gatewayv1.PolicyStatus{},
			RouteOptions:       map[types.NamespacedName]gatewayv1.PolicyStatus{},
			Upstreams:          map[types.NamespacedName]gloov1.UpstreamStatus{},
		},
		upstreams:    map[types.NamespacedName]*upstreamIR{},
		keys:         map[string]error{},
		vhos:         map[types.NamespacedName]*vhoIR{},
		rtos:         map[types.NamespacedName]*rtoIR{},
		routes:       map[types.NamespacedName]*routeIR{},
		gatewayByKey: map[types.NamespacedName]*gatewayIR{},
		rtoByRoute:   map[types.NamespacedName][]*rtoAttachment{},
		services:     map[string]*snapshotv1.Upstream{},
		jwtCache:     map[jwtKey]*effectiveJwt{},
	}
}
