package compile

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// vhoAttachment is a VirtualHostOption applying to one listener through one targetRef.
type vhoAttachment struct {
	opt      *vhoIR
	anc      *ancestorState
	specific bool // the targetRef names the listener (sectionName)
}

// rtoAttachment is a RouteOption applying to a rule through a targetRef or an
// ExtensionRef filter.
type rtoAttachment struct {
	opt    *rtoIR
	extRef bool
}

// vhostOptions are the merged VirtualHostOptions of a listener: per merge group of
// vhostFields, the option it comes from.
type vhostOptions struct{ win []*vhoAttachment }

// get is the option group g comes from, or nil.
func (o *vhostOptions) get(g int) *vhoAttachment {
	if o.win == nil {
		return nil
	}
	return o.win[g]
}

// routeOptions are the merged RouteOptions of a rule: per merge group of routeFields,
// the option it comes from.
type routeOptions struct{ win []*rtoAttachment }

// get is the option group g comes from, or nil.
func (o *routeOptions) get(g int) *rtoAttachment {
	if o.win == nil {
		return nil
	}
	return o.win[g]
}

// attachVirtualHostOptions resolves the targetRefs of every VirtualHostOption, then
// orders and merges the options of each listener.
func (c *compiler) attachVirtualHostOptions() {
	for _, o := range c.idx.sortedVHOs {
		opt := c.vhos[nsName(o)]
		for _, t := range o.Spec.TargetRefs {
			c.attachVHOTarget(opt, t)
		}
	}
	for _, gw := range c.gateways {
		for _, l := range gw.listeners {
			mergeVirtualHostOptions(l)
		}
	}
}

func (c *compiler) attachVHOTarget(opt *vhoIR, t gatewayv1.GatewayTargetReference) {
	o := opt.obj
	ns := o.Namespace
	if t.Namespace != nil {
		ns = *t.Namespace
	}
	key := types.NamespacedName{Namespace: ns, Name: t.Name}
	ref := gwv1.ParentReference{Group: ptr(gwv1.Group(groupGateway)), Kind: ptr(gwv1.Kind(kindGateway)), Namespace: ptr(gwv1.Namespace(ns)), Name: gwv1.ObjectName(t.Name), SectionName: t.SectionName}
	what := func() string { return fmt.Sprintf("targetRef %s %s", t.Kind, key) }
	switch {
	case t.Group == groupGatewayX && t.Kind == kindXListenerSet:
		ref.Group, ref.Kind = ptr(gwv1.Group(groupGatewayX)), ptr(gwv1.Kind(kindXListenerSet))
		opt.state.ancestor(ref).problems.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s: claimgate does not support XListenerSet targets; target the Gateway (with sectionName for one listener)", what()))
		return
	case (t.Group != "" && t.Group != groupGateway) || t.Kind != kindGateway:
		opt.state.ancestor(ref).problems.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s: a VirtualHostOption can only target a gateway.networking.k8s.io Gateway", what()))
		return
	case ns != o.Namespace:
		opt.state.ancestor(ref).problems.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s: a VirtualHostOption can only target a Gateway in its own namespace %s; move the option to %s", what(), o.Namespace, ns))
		return
	}
	if _, exists := c.idx.gateways[key]; !exists {
		opt.state.ancestor(ref).problems.add(gatewayv1.ReasonTargetNotFound, what()+" not found")
		return
	}
	gw := c.ourGateway(key)
	if gw == nil {
		return // another controller's Gateway
	}
	anc := opt.state.ancestor(ref)
	if t.SectionName == nil {
		for _, l := range gw.listeners {
			l.vhos = append(l.vhos, &vhoAttachment{opt: opt, anc: anc})
		}
		return
	}
	l, ok := gw.byName[*t.SectionName]
	if !ok {
		anc.problems.add(gatewayv1.ReasonTargetNotFound, fmt.Sprintf("%s sectionName %s not found: the Gateway has no listener of that name", what(), *t.SectionName))
		return
	}
	l.vhos = append(l.vhos, &vhoAttachment{opt: opt, anc: anc, specific: true})
}

// mergeVirtualHostOptions orders the listener's options (listener-specific first,
// then oldest, ties by name) and lets each fill the top-level fields still unset.
func mergeVirtualHostOptions(l *listenerIR) {
	slices.SortStableFunc(l.vhos, func(a, b *vhoAttachment) int {
		if a.specific != b.specific {
			if a.specific {
				return -1
			}
			return 1
		}
		return olderFirst(a.opt.obj, b.opt.obj)
	})
	l.vhos = firstOfEach(l.vhos)
	where := func() string { return fmt.Sprintf("on listener %s of Gateway %s", l.spec.Name, l.gw.key) }
	l.options.win = make([]*vhoAttachment, vhostFields.groups)
	for _, a := range l.vhos {
		var shadowed []string
		set := 0
		for g, has := range a.opt.survey.sets {
			switch {
			case !has:
				continue
			case l.options.win[g] == nil:
				l.options.win[g] = a
			default:
				w := l.options.win[g]
				shadowed = append(shadowed, fmt.Sprintf("%s is set by VirtualHostOption %s, which %s", vhostFields.groupNames[g], nsName(w.opt.obj), vhoWhy(w, a)))
			}
			set++
		}
		a.anc.record(set, where, shadowed)
	}
}

// firstOfEach keeps the first attachment of each option: an option targeting both
// the Gateway and the listener counts once, as listener-specific.
func firstOfEach(list []*vhoAttachment) []*vhoAttachment {
	seen := map[*vhoIR]bool{}
	out := list[:0]
	for _, a := range list {
		if !seen[a.opt] {
			seen[a.opt] = true
			out = append(out, a)
		}
	}
	return out
}

// vhoWhy says why winner comes before loser.
func vhoWhy(winner, loser *vhoAttachment) string {
	if winner.specific && !loser.specific {
		return "targets this listener by sectionName"
	}
	return olderWhy(winner.opt.obj.CreationTimestamp.Time, loser.opt.obj.CreationTimestamp.Time)
}

// indexRouteOptions resolves the targetRefs of every RouteOption to the HTTPRoutes of
// our Gateways; problems with targetRefs are reported with the option's status.
func (c *compiler) indexRouteOptions() {
	for _, o := range c.idx.sortedRTOs {
		opt := c.rtos[nsName(o)]
		for _, key := range opt.targets {
			c.targetedBy[key] = append(c.targetedBy[key], opt)
		}
		for _, t := range o.Spec.TargetRefs {
			if key, prob := resolveRTOTarget(c.idx, o, t); prob == nil && c.routeIsOurs(c.idx.routes[key]) {
				c.rtoByRoute[key] = append(c.rtoByRoute[key], opt)
			}
		}
	}
	for key, list := range c.rtoByRoute {
		if len(list) > 1 {
			slices.SortFunc(list, func(a, b *rtoIR) int { return olderFirst(a.obj, b.obj) })
			c.rtoByRoute[key] = slices.Compact(list)
		}
	}
}

// resolveRTOTarget checks a RouteOption targetRef: the route it names and the problem
// with it, if any.
func resolveRTOTarget(x *index, o *gatewayv1.RouteOption, t gatewayv1.RouteTargetReference) (types.NamespacedName, *problem) {
	ns := o.Namespace
	if t.Namespace != nil {
		ns = *t.Namespace
	}
	key := types.NamespacedName{Namespace: ns, Name: t.Name}
	what := func() string { return fmt.Sprintf("targetRef %s %s", t.Kind, key) }
	switch {
	case (t.Group != "" && t.Group != groupGateway) || t.Kind != kindHTTPRoute:
		return key, &problem{gatewayv1.ReasonInvalid, fmt.Sprintf("%s: a RouteOption can only target a gateway.networking.k8s.io HTTPRoute", what())}
	case ns != o.Namespace:
		return key, &problem{gatewayv1.ReasonInvalid, fmt.Sprintf("%s: a RouteOption can only target an HTTPRoute in its own namespace %s; move the option to %s", what(), o.Namespace, ns)}
	}
	if _, exists := x.routes[key]; !exists {
		return key, &problem{gatewayv1.ReasonTargetNotFound, what() + " not found"}
	}
	return key, nil
}

// routeTargets are the routes a RouteOption's targetRefs may name: those of the right
// kind in its own namespace, whether they exist or not.
func routeTargets(o *gatewayv1.RouteOption) []types.NamespacedName {
	var out []types.NamespacedName
	for _, t := range o.Spec.TargetRefs {
		ns := o.Namespace
		if t.Namespace != nil {
			ns = *t.Namespace
		}
		if (t.Group == "" || t.Group == groupGateway) && t.Kind == kindHTTPRoute && ns == o.Namespace {
			out = append(out, types.NamespacedName{Namespace: ns, Name: t.Name})
		}
	}
	return out
}

func routeParentRef(key types.NamespacedName) gwv1.ParentReference {
	return gwv1.ParentReference{Group: ptr(gwv1.Group(groupGateway)), Kind: ptr(gwv1.Kind(kindHTTPRoute)), Namespace: ptr(gwv1.Namespace(key.Namespace)), Name: gwv1.ObjectName(key.Name)}
}

// mergeRouteOptions orders the options of a rule (ExtensionRef ones in filter order,
// then targetRef ones, oldest first) and lets each fill the top-level fields still
// unset. What each option contributed is recorded on the route.
func (c *compiler) mergeRouteOptions(ir *routeIR, rule *ruleIR) {
	list := make([]*rtoAttachment, 0, len(rule.extRefs)+len(c.rtoByRoute[ir.key]))
	for _, o := range rule.extRefs {
		list = append(list, &rtoAttachment{opt: o, extRef: true})
	}
	for _, o := range c.rtoByRoute[ir.key] {
		if !slices.Contains(rule.extRefs, o) {
			list = append(list, &rtoAttachment{opt: o})
		}
	}
	where := func() string { return fmt.Sprintf("on rule %d of HTTPRoute %s", rule.index, ir.key) }
	if len(list) > 0 {
		rule.options.win = make([]*rtoAttachment, routeFields.groups)
	}
	for _, a := range list {
		var shadowed []string
		set := 0
		for g, has := range a.opt.survey.sets {
			switch {
			case !has:
				continue
			case rule.options.win[g] == nil:
				rule.options.win[g] = a
			default:
				w := rule.options.win[g]
				shadowed = append(shadowed, fmt.Sprintf("%s is set by RouteOption %s, which %s", routeFields.groupNames[g], nsName(w.opt.obj), rtoWhy(w, a)))
			}
			set++
		}
		ir.contribution(a.opt).record(set, where, shadowed)
	}
	if w := rule.options.get(rAI); w != nil && w.opt.features.ai != nil && !allLLM(rule.upstreams) {
		ir.contribution(w.opt).note(where() + ": options.ai is ignored, as the rule's backends are not all AI Upstreams")
	}
}

func rtoWhy(winner, loser *rtoAttachment) string {
	if winner.extRef && !loser.extRef {
		return "the rule references by an ExtensionRef filter"
	}
	if winner.extRef {
		return "comes first in the rule's filters"
	}
	return olderWhy(winner.opt.obj.CreationTimestamp.Time, loser.opt.obj.CreationTimestamp.Time)
}

// olderWhy says why the winner of two options of the same rank comes first.
func olderWhy(winner, loser time.Time) string {
	if winner.Before(loser) {
		return "is older"
	}
	return "is as old and comes first by name"
}
