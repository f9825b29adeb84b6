package compile

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// reuseAcrossCompiles lets a full compile of a Compiler reuse the routes and
// RouteOptions of its previous compile while the environment is unchanged: the full
// compiles that follow a burst of more changes than an incremental compile takes
// (deltaLimit). It is always true in the product; BenchmarkCompileReuse turns it off
// to measure what the reuse saves and costs.
var reuseAcrossCompiles = true

// cachedRTO is a compiled RouteOption and the version it was compiled from.
type cachedRTO struct {
	version objectVersion
	ir      *rtoIR
}

// objectVersion identifies the content of an object the compiler reads: its uid and
// either its generation or its resourceVersion.
type objectVersion struct {
	uid             types.UID
	resourceVersion string
	generation      int64
}

// versionOf identifies what the compiler reads of o. An object with a generation is
// identified by it: the API server moves it on every spec change and on no status or
// metadata write, so the controller's own status writes do not make an object look
// changed. Services, Secrets and Namespaces (whose labels select routes) are identified
// by their resourceVersion. It reports false for an object that did not come from an
// API server.
func versionOf(o versioned) (objectVersion, bool) {
	return metaVersion(o.GetUID(), o.GetResourceVersion(), o.GetGeneration(), readsMetadata(o))
}

func metaVersion(uid types.UID, resourceVersion string, generation int64, byResourceVersion bool) (objectVersion, bool) {
	v := objectVersion{uid: uid, generation: generation}
	if generation == 0 || byResourceVersion {
		v.resourceVersion = resourceVersion
	}
	return v, uid != "" && resourceVersion != ""
}

// readsMetadata reports whether the compiler reads more of o than its spec.
func readsMetadata(o versioned) bool {
	switch o.(type) {
	case *corev1.Namespace, *corev1.Service, *corev1.Secret:
		return true
	}
	return false
}

// versioned is an object with the fields that identify its version.
type versioned interface {
	object
	GetGeneration() int64
}

// version is an object's version as text; "" when it has none.
func version(o versioned) string {
	v, ok := versionOf(o)
	if !ok {
		return ""
	}
	return string(v.uid) + "/" + v.resourceVersion + "/" + strconv.FormatInt(v.generation, 10)
}

// environment fingerprints every input but HTTPRoutes and RouteOptions: while it is
// unchanged, a route compiled earlier from the same route and RouteOption versions
// compiles to the same result. It is empty when some object has no resourceVersion.
func environment(in *Inputs, x *index) string {
	var b strings.Builder
	b.WriteString(string(in.ControllerName))
	add := func(kind string, o versioned) bool {
		v := version(o)
		b.WriteString("|" + kind + ":" + o.GetNamespace() + "/" + o.GetName() + "@" + v)
		return v != ""
	}
	ok := true
	for _, o := range x.sortedClasses {
		ok = add("GatewayClass", o) && ok
	}
	for _, o := range x.sortedGateways {
		ok = add(kindGateway, o) && ok
	}
	for _, o := range sortedObjects[gwv1.ReferenceGrant](in.ReferenceGrants) {
		ok = add("ReferenceGrant", o) && ok
	}
	for _, o := range sortedObjects(in.Services) {
		ok = add(kindService, o) && ok
	}
	for _, o := range sortedObjects(in.Secrets) {
		ok = add(kindSecret, o) && ok
	}
	for _, o := range sortedObjects(in.Namespaces) {
		ok = add("Namespace", o) && ok
	}
	for _, o := range x.sortedUpstreams {
		ok = add(kindUpstream, o) && ok
	}
	for _, o := range x.sortedVHOs {
		ok = add(kindVirtualHostOption, o) && ok
	}
	for _, o := range x.sortedRLCs {
		ok = add(kindRateLimitConfig, o) && ok
	}
	if !ok {
		return ""
	}
	return b.String()
}

// routeCacheKey identifies the versions of a route and of every RouteOption its rules
// may use (named by ExtensionRef filters, or targeting it); nil when one of them cannot
// be versioned. A missing RouteOption is a zero version. When prev (the key of the
// previous compile) is equal, prev itself is returned, without allocating.
func (c *compiler) routeCacheKey(r *gwv1.HTTPRoute, prev []objectVersion) []objectVersion {
	if c.env == "" || !reuseAcrossCompiles {
		return nil
	}
	var key []objectVersion
	n, same := 0, true
	add := func(v objectVersion) {
		if same && n < len(prev) && prev[n] == v {
			n++
			return
		}
		if same {
			same, key = false, append(make([]objectVersion, 0, n+2), prev[:n]...)
		}
		key = append(key, v)
	}
	if !c.addRouteVersions(r, add) {
		return nil
	}
	if same && n == len(prev) {
		return prev
	}
	if same {
		key = slices.Clone(prev[:n])
	}
	return key
}

// addRouteVersions passes the route's version, then those of the RouteOptions its
// ExtensionRef filters name (zero when missing), then those targeting it, to add. It
// reports false when one of them has no version.
func (c *compiler) addRouteVersions(r *gwv1.HTTPRoute, add func(objectVersion)) bool {
	v, ok := versionOf(r)
	if !ok {
		return false
	}
	add(v)
	for i := range r.Spec.Rules {
		for _, f := range r.Spec.Rules[i].Filters {
			if f.ExtensionRef == nil || f.ExtensionRef.Group != groupSolo || f.ExtensionRef.Kind != kindRouteOption {
				continue
			}
			var v objectVersion
			if o := c.idx.rtos[types.NamespacedName{Namespace: r.Namespace, Name: string(f.ExtensionRef.Name)}]; o != nil {
				if v, ok = versionOf(o); !ok {
					return false
				}
			}
			add(v)
		}
	}
	for _, o := range c.rtoByRoute[nsName(r)] {
		v, ok := versionOf(o.obj)
		if !ok {
			return false
		}
		add(v)
	}
	return true
}

// cachedRTO returns the compiled RouteOption, reusing the previous compile of the
// same version.
func (c *compiler) cachedRTO(o *gatewayv1.RouteOption) *rtoIR {
	v, ok := versionOf(o)
	if c.env == "" || !ok || !reuseAcrossCompiles {
		return c.compileRTO(o)
	}
	if e := c.cache.rtos[o.UID]; e != nil && e.version == v {
		e.ir.obj = o // same version: drop the reference to the previous inputs
		return e.ir
	}
	ir := c.compileRTO(o)
	c.cache.rtos[o.UID] = &cachedRTO{version: v, ir: ir}
	return ir
}

// remember keeps what this compile produced for the next one: the environment, the
// routes, the RouteOptions and the validated keys still in use.
func (k *Compiler) remember(c *compiler) {
	k.env = c.env
	k.keys = c.keys
	k.routes = c.routes
	live := map[types.UID]*cachedRTO{}
	if reuseAcrossCompiles {
		live = make(map[types.UID]*cachedRTO, len(c.rtos))
		for _, o := range c.idx.sortedRTOs {
			if e := k.rtos[o.UID]; e != nil && e.ir == c.rtos[nsName(o)] {
				live[o.UID] = e
			}
		}
	}
	k.rtos = live
	k.rememberState(c)
}

// rememberState keeps the state of a full compile for the next, incremental one,
// with the statuses it handed out.
func (k *Compiler) rememberState(c *compiler) {
	k.prev = nil
	if c.env == "" {
		return
	}
	k.routeOut = &handout[[]gwv1.RouteParentStatus]{shared: c.res.HTTPRoutes}
	k.rtoOut = &handout[gatewayv1.PolicyStatus]{shared: c.res.RouteOptions}
	routes, ok := newTable(c.idx.sortedRoutes, k.mark, func(key types.NamespacedName) **gwv1.HTTPRoute {
		if ir := c.routes[key]; ir != nil {
			return &ir.obj
		}
		return nil
	})
	if !ok {
		return
	}
	rtos, ok := newTable(c.idx.sortedRTOs, k.mark, func(key types.NamespacedName) **gatewayv1.RouteOption {
		if ir := c.rtos[key]; ir != nil {
			return &ir.obj
		}
		return nil
	})
	if !ok {
		return
	}
	k.routeTable, k.rtoTable = routes, rtos
	c.snapshots, c.encoded = maps.Clone(c.res.Snapshots), maps.Clone(c.res.Encoded)
	k.prev = c
}
