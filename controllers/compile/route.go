package compile

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeIR is an HTTPRoute with a parentRef to one of our Gateways, and everything
// compiled from it. It depends only on the route, the RouteOptions that apply to it and
// the environment, so a Compiler may reuse it while those stay the same.
type routeIR struct {
	obj *gwv1.HTTPRoute
	key types.NamespacedName
	// created is the creationTimestamp in Unix nanoseconds, for ordering.
	created int64
	// cacheKey identifies the versions of the route and its RouteOptions; nil when
	// the route cannot be reused.
	cacheKey []objectVersion
	// parents are the parentRefs that name one of our Gateways, in spec order.
	parents []*parentIR
	// attachments are the listeners the route attached to, in parentRef order.
	attachments []routeAttachment
	rules       []*ruleIR
	// resolved and partial are the problems of ResolvedRefs and PartiallyInvalid.
	resolved, partial problems
	// contrib records, per RouteOption, what it contributed to this route.
	contrib []contribution
	// built are the snapshot routes made from this route, and statuses its parent
	// statuses, kept for reuse.
	built    []builtEntry
	statuses []gwv1.RouteParentStatus
	// extRefKeys are the RouteOptions the route's ExtensionRef filters name, found or not.
	extRefKeys []types.NamespacedName
}

// routeAttachment is the route attached to one listener with the hostnames it serves.
type routeAttachment struct {
	gw        types.NamespacedName
	listener  gwv1.SectionName
	hostnames []string
}

// contribution is what one RouteOption contributed to a route.
type contribution struct {
	opt *rtoIR
	anc *ancestorState
}

// contribution returns the record of what opt contributed to this route. Routes use
// few RouteOptions, so a list beats a map.
func (ir *routeIR) contribution(opt *rtoIR) *ancestorState {
	if a := ir.contributionOf(opt); a != nil {
		return a
	}
	a := &ancestorState{ref: routeParentRef(ir.key)}
	ir.contrib = append(ir.contrib, contribution{opt: opt, anc: a})
	return a
}

// contributionOf returns the record of opt, or nil.
func (ir *routeIR) contributionOf(opt *rtoIR) *ancestorState {
	for _, c := range ir.contrib {
		if c.opt == opt {
			return c.anc
		}
	}
	return nil
}

// parentIR is one parentRef of a route and whether the route attached through it.
type parentIR struct {
	ref      gwv1.ParentReference
	accepted problems
}

// attachment is a route attached to a listener with the hostnames it serves there.
type attachment struct {
	route     *routeIR
	hostnames []string
}

// attachRoute attaches the route to the listeners its parentRefs select and that
// allow it, recording a parent per parentRef that names our Gateway.
func (c *compiler) attachRoute(ir *routeIR) {
	for _, ref := range ir.obj.Spec.ParentRefs {
		gw := c.parentGateway(ir.obj, ref)
		if gw == nil {
			continue
		}
		p := &parentIR{ref: ref}
		ir.parents = append(ir.parents, p)
		attachToParent(c.idx, ir, p, gw)
	}
}

// routeIsOurs reports whether a parentRef of the route names one of our Gateways.
func (c *compiler) routeIsOurs(r *gwv1.HTTPRoute) bool {
	if r == nil {
		return false
	}
	for _, ref := range r.Spec.ParentRefs {
		if c.parentGateway(r, ref) != nil {
			return true
		}
	}
	return false
}

// placeAttachments adds every route to the listeners it attached to, in route order.
func (c *compiler) placeAttachments() {
	for _, r := range c.idx.sortedRoutes {
		ir := c.routes[nsName(r)]
		if ir == nil {
			continue
		}
		for _, a := range ir.attachments {
			if gw := c.ourGateway(a.gw); gw != nil && gw.byName[a.listener] != nil {
				l := gw.byName[a.listener]
				l.attachments = addAttachment(l.attachments, ir, a.hostnames)
			}
		}
	}
}

// parentGateway returns our Gateway a parentRef names, or nil.
func (c *compiler) parentGateway(r *gwv1.HTTPRoute, ref gwv1.ParentReference) *gatewayIR {
	if (ref.Group != nil && *ref.Group != groupGateway) || (ref.Kind != nil && *ref.Kind != kindGateway) {
		return nil
	}
	key := types.NamespacedName{Namespace: r.Namespace, Name: string(ref.Name)}
	if ref.Namespace != nil {
		key.Namespace = string(*ref.Namespace)
	}
	return c.ourGateway(key)
}

// attachToParent attaches the route to each listener of gw the parentRef selects (by
// sectionName and port) whose allowedRoutes admit it and whose hostname intersects the
// route's hostnames.
func attachToParent(x *index, ir *routeIR, p *parentIR, gw *gatewayIR) {
	candidates := selectListeners(gw, p.ref)
	if len(candidates) == 0 {
		p.accepted.add(string(gwv1.RouteReasonNoMatchingParent),
			fmt.Sprintf("Gateway %s has no listener matching parentRef%s; fix sectionName or port", gw.key, describeSection(p.ref)))
		return
	}
	allowed, matched := false, false
	for _, l := range candidates {
		if !routeAllowed(x, l, ir.obj) {
			continue
		}
		allowed = true
		hosts := intersectHostnames(l.hostname(), ir.obj.Spec.Hostnames)
		if len(hosts) == 0 {
			continue
		}
		matched = true
		ir.attachments = append(ir.attachments, routeAttachment{gw: gw.key, listener: l.spec.Name, hostnames: hosts})
	}
	switch {
	case !allowed:
		p.accepted.add(string(gwv1.RouteReasonNotAllowedByListeners),
			fmt.Sprintf("no listener of Gateway %s%s allows HTTPRoutes from namespace %s; change the listener's allowedRoutes", gw.key, describeSection(p.ref), ir.obj.Namespace))
	case !matched:
		p.accepted.add(string(gwv1.RouteReasonNoMatchingListenerHostname),
			fmt.Sprintf("no hostname of the route matches a listener hostname of Gateway %s%s; fix spec.hostnames", gw.key, describeSection(p.ref)))
	}
}

func describeSection(ref gwv1.ParentReference) string {
	s := ""
	if ref.SectionName != nil {
		s += fmt.Sprintf(" sectionName %s", *ref.SectionName)
	}
	if ref.Port != nil {
		s += fmt.Sprintf(" port %d", *ref.Port)
	}
	return s
}

func selectListeners(gw *gatewayIR, ref gwv1.ParentReference) []*listenerIR {
	var out []*listenerIR
	for _, l := range gw.listeners {
		if ref.SectionName != nil && *ref.SectionName != l.spec.Name {
			continue
		}
		if ref.Port != nil && *ref.Port != l.spec.Port {
			continue
		}
		out = append(out, l)
	}
	return out
}

// addAttachment adds the route to a listener's attachments, merging hostnames when two
// parentRefs of the route select the same listener (the route's attachments are added
// one after the other, so the route's is then the last).
func addAttachment(list []*attachment, ir *routeIR, hosts []string) []*attachment {
	if n := len(list); n > 0 && list[n-1].route == ir {
		a := list[n-1]
		a.hostnames = sortedUnique(append(slices.Clone(a.hostnames), hosts...))
		return list
	}
	return append(list, &attachment{route: ir, hostnames: hosts})
}

// routeAllowed applies the listener's protocol, allowedRoutes.kinds and
// allowedRoutes.namespaces (Same when unset) to an HTTPRoute.
func routeAllowed(x *index, l *listenerIR, r *gwv1.HTTPRoute) bool {
	if len(l.kinds) == 0 || len(l.accepted) > 0 {
		return false
	}
	from := gwv1.NamespacesFromSame
	var sel *metav1.LabelSelector
	if ar := l.spec.AllowedRoutes; ar != nil && ar.Namespaces != nil {
		if ar.Namespaces.From != nil {
			from = *ar.Namespaces.From
		}
		sel = ar.Namespaces.Selector
	}
	switch from {
	case gwv1.NamespacesFromAll:
		return true
	case gwv1.NamespacesFromSame:
		return r.Namespace == l.gw.obj.Namespace
	case gwv1.NamespacesFromSelector:
		return namespaceSelected(x, sel, r.Namespace)
	default:
		return false
	}
}

// namespaceSelected matches the namespace's labels (from Inputs.Namespaces) against
// the selector. An unknown namespace or an invalid or missing selector admits nothing.
func namespaceSelected(x *index, sel *metav1.LabelSelector, namespace string) bool {
	ns, ok := x.namespaces[namespace]
	if !ok || sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(ns.Labels))
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
