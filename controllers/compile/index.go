package compile

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
)

// API groups and kinds the compiler resolves references to.
const (
	groupGateway  = "gateway.networking.k8s.io"
	groupGatewayX = "gateway.networking.x-k8s.io"
	groupSolo     = "gateway.solo.io"
	groupGloo     = "gloo.solo.io"
	groupCore     = ""

	kindGateway           = "Gateway"
	kindHTTPRoute         = "HTTPRoute"
	kindService           = "Service"
	kindSecret            = "Secret"
	kindUpstream          = "Upstream"
	kindRateLimitConfig   = "RateLimitConfig"
	kindRouteOption       = "RouteOption"
	kindVirtualHostOption = "VirtualHostOption"
	kindXListenerSet      = "XListenerSet"
)

// index holds every input object by key, built once per Compile. Each kind also keeps
// its objects sorted by namespace/name so that passes iterate deterministically.
type index struct {
	classes    map[string]*gwv1.GatewayClass
	gateways   map[types.NamespacedName]*gwv1.Gateway
	routes     map[types.NamespacedName]*gwv1.HTTPRoute
	services   map[types.NamespacedName]*corev1.Service
	secrets    map[types.NamespacedName]*corev1.Secret
	upstreams  map[types.NamespacedName]*gloov1.Upstream
	rlcs       map[types.NamespacedName]*ratelimitv1alpha1.RateLimitConfig
	vhos       map[types.NamespacedName]*gatewayv1.VirtualHostOption
	rtos       map[types.NamespacedName]*gatewayv1.RouteOption
	namespaces map[string]*corev1.Namespace
	// grants holds ReferenceGrants by their own namespace (the namespace they open).
	grants map[string][]*gwv1.ReferenceGrant

	sortedClasses   []*gwv1.GatewayClass
	sortedGateways  []*gwv1.Gateway
	sortedRoutes    []*gwv1.HTTPRoute
	sortedUpstreams []*gloov1.Upstream
	sortedRLCs      []*ratelimitv1alpha1.RateLimitConfig
	sortedVHOs      []*gatewayv1.VirtualHostOption
	sortedRTOs      []*gatewayv1.RouteOption
}

// buildIndex indexes the inputs. When two objects share a key (which a cache never
// produces), the one with the greater resourceVersion, then uid, wins, so the result
// does not depend on input order.
func buildIndex(in *Inputs) *index {
	x := buildEnvIndex(in)
	x.sortedRoutes, x.routes = keyedPointers(in.HTTPRoutes)
	x.sortedRTOs, x.rtos = keyedPointers(in.RouteOptions)
	return x
}

// buildEnvIndex indexes every input but HTTPRoutes and RouteOptions.
func buildEnvIndex(in *Inputs) *index {
	x := &index{
		classes:    map[string]*gwv1.GatewayClass{},
		namespaces: map[string]*corev1.Namespace{},
		grants:     map[string][]*gwv1.ReferenceGrant{},
	}
	x.sortedClasses = sortedObjects(in.GatewayClasses)
	for _, gc := range x.sortedClasses {
		x.classes[gc.Name] = gc
	}
	x.sortedGateways, x.gateways = keyed(in.Gateways)
	_, x.services = keyed(in.Services)
	_, x.secrets = keyed(in.Secrets)
	x.sortedUpstreams, x.upstreams = keyed(in.Upstreams)
	x.sortedRLCs, x.rlcs = keyed(in.RateLimitConfigs)
	x.sortedVHOs, x.vhos = keyed(in.VirtualHostOptions)
	for _, ns := range sortedObjects(in.Namespaces) {
		x.namespaces[ns.Name] = ns
	}
	for _, g := range sortedObjects(in.ReferenceGrants) {
		x.grants[g.Namespace] = append(x.grants[g.Namespace], g)
	}
	return x
}

// object is what every Kubernetes object pointer here provides.
type object interface {
	GetNamespace() string
	GetName() string
	GetResourceVersion() string
	GetUID() types.UID
}

// ptrObject is a pointer to an object type T.
type ptrObject[T any] interface {
	*T
	object
}

// sortedObjects returns pointers to the items of in, sorted by namespace, name,
// resourceVersion and uid.
func sortedObjects[T any, P ptrObject[T]](in []T) []P {
	ps := make([]P, len(in))
	for i := range in {
		ps[i] = &in[i]
	}
	return sortPointers(ps)
}

// sortPointers returns the objects of in sorted by namespace, name, resourceVersion
// and uid, in a new slice.
func sortPointers[P object](in []P) []P {
	type entry struct {
		ns, name, rv string
		uid          types.UID
		p            P
	}
	entries := make([]entry, len(in))
	for i, p := range in {
		entries[i] = entry{ns: p.GetNamespace(), name: p.GetName(), rv: p.GetResourceVersion(), uid: p.GetUID(), p: p}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.name, b.name), cmp.Compare(a.rv, b.rv), cmp.Compare(a.uid, b.uid))
	})
	out := make([]P, len(entries))
	for i := range entries {
		out[i] = entries[i].p
	}
	return out
}

// keyed returns the sorted pointers of in and a map from namespace/name to them; of
// duplicate keys the last in sort order wins and is the only one kept in the slice.
func keyed[T any, P ptrObject[T]](in []T) ([]P, map[types.NamespacedName]P) {
	return keyedSorted(sortedObjects[T, P](in))
}

// keyedPointers is keyed for a slice of pointers.
func keyedPointers[P object](in []P) ([]P, map[types.NamespacedName]P) {
	return keyedSorted(sortPointers(in))
}

func keyedSorted[P object](sorted []P) ([]P, map[types.NamespacedName]P) {
	m := make(map[types.NamespacedName]P, len(sorted))
	out := sorted[:0:0]
	for _, o := range sorted {
		k := types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
		if _, dup := m[k]; dup {
			out[len(out)-1] = o
		} else {
			out = append(out, o)
		}
		m[k] = o
	}
	return out, m
}

// refAllowed reports whether an object of fromGroup/fromKind in fromNS may reference
// the object toGroup/toKind toNS/toName: always within a namespace, across namespaces
// only when a ReferenceGrant in toNS allows it.
func (x *index) refAllowed(fromGroup, fromKind, fromNS, toGroup, toKind, toNS, toName string) bool {
	if fromNS == toNS {
		return true
	}
	for _, g := range x.grants[toNS] {
		if grantAllows(g, fromGroup, fromKind, fromNS, toGroup, toKind, toName) {
			return true
		}
	}
	return false
}

func grantAllows(g *gwv1.ReferenceGrant, fromGroup, fromKind, fromNS, toGroup, toKind, toName string) bool {
	fromOK := slices.ContainsFunc(g.Spec.From, func(f gwv1.ReferenceGrantFrom) bool {
		return string(f.Group) == fromGroup && string(f.Kind) == fromKind && string(f.Namespace) == fromNS
	})
	if !fromOK {
		return false
	}
	return slices.ContainsFunc(g.Spec.To, func(t gwv1.ReferenceGrantTo) bool {
		return string(t.Group) == toGroup && string(t.Kind) == toKind && (t.Name == nil || string(*t.Name) == toName)
	})
}

// nsName is the namespace/name key of an object.
func nsName(o metav1.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// olderFirst orders objects by creationTimestamp, then namespace/name.
func olderFirst(a, b metav1.Object) int {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		if ta.Before(&tb) {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
}
