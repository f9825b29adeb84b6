package compile

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// cachedRTO is a compiled RouteOption and the version it was compiled from.
type cachedRTO struct {
	version string
	ir      *rtoIR
}

// versioned is an object with the fields that identify its version.
type versioned interface {
	object
	GetGeneration() int64
}

// version identifies one version of an object; "" when it has no resourceVersion.
func version(o versioned) string {
	if o.GetResourceVersion() == "" || o.GetUID() == "" {
		return ""
	}
	return string(o.GetUID()) + "/" + o.GetResourceVersion() + "/" + strconv.FormatInt(o.GetGeneration(), 10)
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
	if !ok {
		return ""
	}
	return b.String()
}

// routeCacheKey identifies the versions of a route and of every RouteOption its rules
// may use (named by ExtensionRef filters or targeting it); "" when one of them cannot
// be versioned.
func (c *compiler) routeCacheKey(r *gwv1.HTTPRoute) string {
	if c.env == "" {
		return ""
	}
	v := version(r)
	if v == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(v)
	for i := range r.Spec.Rules {
		for _, f := range r.Spec.Rules[i].Filters {
			if f.ExtensionRef == nil || f.ExtensionRef.Group != groupSolo || f.ExtensionRef.Kind != kindRouteOption {
				continue
			}
			o := c.idx.rtos[types.NamespacedName{Namespace: r.Namespace, Name: string(f.ExtensionRef.Name)}]
			if o == nil {
				b.WriteString("|-" + string(f.ExtensionRef.Name))
				continue
			}
			if !appendVersion(&b, o) {
				return ""
			}
		}
	}
	for _, a := range c.rtoByRoute[nsName(r)] {
		if !appendVersion(&b, a.opt.obj) {
			return ""
		}
	}
	return b.String()
}

func appendVersion(b *strings.Builder, o *gatewayv1.RouteOption) bool {
	v := version(o)
	b.WriteString("|" + v)
	return v != ""
}

// cachedRTO returns the compiled RouteOption, reusing the previous compile of the
// same version.
func (c *compiler) cachedRTO(o *gatewayv1.RouteOption) *rtoIR {
	v := version(o)
	if c.env == "" || v == "" {
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
	live := make(map[types.UID]*cachedRTO, len(c.rtos))
	for _, o := range c.idx.sortedRTOs {
		if e := k.rtos[o.UID]; e != nil && e.ir == c.rtos[nsName(o)] {
			live[o.UID] = e
		}
	}
	k.rtos = live
}
