package compile

import (
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// compiler holds the state of one Compile call.
type compiler struct {
	in    *Inputs
	idx   *index
	res   Result
	cache *Compiler
	// written are the statuses of HTTPRoutes and RouteOptions a full compile decides,
	// and their Decisions, before they become the result's Statuses.
	written writtenStatuses

	// env fingerprints everything but HTTPRoutes and RouteOptions; empty when some
	// object has no resourceVersion, which disables reuse.
	env string
	// upstreams are every compiled gloo.solo.io Upstream.
	upstreams map[types.NamespacedName]*upstreamIR
	// rlcs are every compiled RateLimitConfig.
	rlcs map[types.NamespacedName]*rlcIR
	// keys caches the validation of local key material by content.
	keys map[string]error
	// vhos and rtos are the compiled options.
	vhos map[types.NamespacedName]*vhoIR
	rtos map[types.NamespacedName]*rtoIR
	// gateways are the Gateways of our controller, in namespace/name order.
	gateways     []*gatewayIR
	gatewayByKey map[types.NamespacedName]*gatewayIR
	// routes are the compiled HTTPRoutes with a parentRef to one of our Gateways.
	routes map[types.NamespacedName]*routeIR
	// rtoByRoute are the RouteOptions whose targetRefs name each HTTPRoute, oldest first.
	rtoByRoute map[types.NamespacedName][]*rtoIR
	// targetedBy are the RouteOptions whose targetRefs may name each route (found or
	// not), and extRefBy the routes whose ExtensionRef filters name each RouteOption.
	targetedBy map[types.NamespacedName][]*rtoIR
	extRefBy   map[types.NamespacedName][]types.NamespacedName
	// snapshots are the snapshots of the last compile, by Gateway.
	snapshots map[types.NamespacedName]*snapshotv1.Snapshot
	encoded   map[types.NamespacedName][]byte
	// services are the upstreams made for Service backends, by upstream name.
	services map[string]*snapshotv1.Upstream
	// jwtCache shares the effective JWT authentication of equal option pairs.
	jwtCache map[jwtKey]*effectiveJwt
}

// Compile turns the objects that feed claimgate's Gateways into one snapshot per
// Gateway of in.ControllerName (ControllerName when unset) and the status of every
// object involved. It is pure: no clock, no API calls, no goroutines, and the order of
// the input slices does not matter. The snapshots may share immutable sub-messages:
// do not modify them.
func Compile(in Inputs) Result {
	k := NewCompiler()
	k.oneShot = true
	return k.Compile(in)
}

// Compiler compiles like Compile and remembers what it compiled, so that the next
// call recompiles only the HTTPRoutes whose route or RouteOptions changed (by uid,
// resourceVersion and generation) while every other object stays at the same
// version; when only a few of them changed, it also redoes only the work that depends
// on them (layout, virtual hosts, statuses). Its results are always identical to Compile's. Objects without a
// resourceVersion are never reused. A Compiler is not safe for concurrent use, and
// its results share memory with each other: treat them as read-only.
type Compiler struct {
	// oneShot is set when nothing will be reused: results need no copies.
	oneShot bool
	env     string
	keys    map[string]error
	rtos    map[types.UID]*cachedRTO
	routes  map[types.NamespacedName]*routeIR

	// prev is the state of the previous compile, which the next one starts from when
	// only HTTPRoutes and RouteOptions changed; nil when it cannot.
	prev *compiler
	// mark numbers the compiles; routeTable and rtoTable are the versions compiled.
	mark uint64
	// deltas counts the incremental compiles; lastDelta says whether the last one was.
	deltas     int
	lastDelta  bool
	routeTable *table[*gwv1.HTTPRoute]
	rtoTable   *table[*gatewayv1.RouteOption]
	// routeOut and rtoOut are the statuses handed out, which later results share
	// while they are unchanged; routeDecided and rtoDecided are their Decisions.
	routeOut     *handout[[]gwv1.RouteParentStatus]
	rtoOut       *handout[gatewayv1.PolicyStatus]
	routeDecided Decisions
	rtoDecided   Decisions
}

// NewCompiler returns a Compiler with nothing remembered.
func NewCompiler() *Compiler {
	return &Compiler{keys: map[string]error{}, rtos: map[types.UID]*cachedRTO{}, routes: map[types.NamespacedName]*routeIR{}}
}

// Incremental reports whether the last Compile started from the previous one, compiling
// only the HTTPRoutes and RouteOptions that changed.
func (k *Compiler) Incremental() bool { return k.lastDelta }

// Compile is the package-level Compile, reusing the routes that did not change since
// the previous call.
func (k *Compiler) Compile(in Inputs) Result {
	if !k.oneShot {
		if res, ok := k.compileDelta(&in); ok {
			k.lastDelta = true
			return res
		}
	}
	k.lastDelta = false
	c := newCompiler(&in, k)
	c.compileUpstreams()
	c.compileRateLimitConfigs()
	c.selectGateways()
	for _, gw := range c.gateways {
		c.buildListeners(gw)
	}
	c.compileOptions()
	c.attachVirtualHostOptions()
	c.indexRouteOptions()
	c.compileRoutes()
	c.placeAttachments()
	for _, gw := range c.gateways {
		c.res.Snapshots[gw.key], c.res.Encoded[gw.key] = c.buildSnapshot(gw)
		c.res.Gateways[gw.key] = gw.status()
	}
	c.writeRouteStatuses()
	c.writePolicyStatuses()
	c.res.HTTPRoutes, c.res.RouteOptions = statusesOf(c.written.routes), statusesOf(c.written.rtos)
	c.res.HTTPRouteDecisions = Decisions{statusesOf(c.written.routeDecisions)}
	c.res.RouteOptionDecisions = Decisions{statusesOf(c.written.rtoDecisions)}
	c.written = writtenStatuses{} // in the result now; a compiler kept for the next must not hold them twice
	if !k.oneShot {
		k.remember(c)
		k.rememberDecisions(c)
	}
	return c.res
}

// writtenStatuses are the statuses a full compile decides, by kind.
type writtenStatuses struct {
	routes                       map[types.NamespacedName][]gwv1.RouteParentStatus
	rtos                         map[types.NamespacedName]gatewayv1.PolicyStatus
	routeDecisions, rtoDecisions map[types.NamespacedName]Decision
}

// rememberDecisions keeps the Decisions of a full compile for the next, incremental
// one, when it keeps the compile's state. They are read-only: no copy is needed.
func (k *Compiler) rememberDecisions(c *compiler) {
	k.routeDecided, k.rtoDecided = Decisions{}, Decisions{}
	if k.prev == c {
		k.routeDecided, k.rtoDecided = c.res.HTTPRouteDecisions, c.res.RouteOptionDecisions
	}
}

func newCompiler(in *Inputs, k *Compiler) *compiler {
	c := &compiler{
		in:    in,
		idx:   buildIndex(in),
		cache: k,
		res:   newResult(),
		written: writtenStatuses{
			routes:         make(map[types.NamespacedName][]gwv1.RouteParentStatus, len(in.HTTPRoutes)),
			rtos:           make(map[types.NamespacedName]gatewayv1.PolicyStatus, len(in.RouteOptions)),
			routeDecisions: make(map[types.NamespacedName]Decision, len(in.HTTPRoutes)),
			rtoDecisions:   make(map[types.NamespacedName]Decision, len(in.RouteOptions)),
		},
		upstreams:    map[types.NamespacedName]*upstreamIR{},
		rlcs:         map[types.NamespacedName]*rlcIR{},
		keys:         map[string]error{},
		vhos:         map[types.NamespacedName]*vhoIR{},
		rtos:         make(map[types.NamespacedName]*rtoIR, len(in.RouteOptions)),
		routes:       make(map[types.NamespacedName]*routeIR, len(in.HTTPRoutes)),
		gatewayByKey: map[types.NamespacedName]*gatewayIR{},
		rtoByRoute:   make(map[types.NamespacedName][]*rtoIR, len(in.RouteOptions)),
		targetedBy:   make(map[types.NamespacedName][]*rtoIR, len(in.RouteOptions)),
		extRefBy:     map[types.NamespacedName][]types.NamespacedName{},
		services:     map[string]*snapshotv1.Upstream{},
		jwtCache:     map[jwtKey]*effectiveJwt{},
	}
	if !k.oneShot {
		c.env = environment(in, c.idx)
	}
	if c.env == "" || c.env != k.env {
		k.rtos = map[types.UID]*cachedRTO{}
		k.routes = map[types.NamespacedName]*routeIR{}
	}
	return c
}
