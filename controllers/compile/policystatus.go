package compile

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// maxShadowNotes bounds how many shadowing notes one ancestor keeps.
const maxShadowNotes = 4

// policyState gathers what the compiler learns about one option while attaching and
// merging it, to become its status.
type policyState struct {
	kind      string
	obj       metav1.Object
	ancestors []*ancestorState
	// invalid are problems of the option itself (bad key, bad claim value).
	invalid problems
	// unresolved are references that could not be resolved.
	unresolved problems
}

// ancestorState is the option at one target.
type ancestorState struct {
	ref gwv1.ParentReference
	// problems are why the target cannot be used (missing, wrong namespace).
	problems problems
	// applied is set when the option was merged somewhere under the target, and
	// contributed when it set at least one field there.
	applied, contributed bool
	shadowed             []string
}

func newPolicyState(kind string, obj metav1.Object) *policyState {
	return &policyState{kind: kind, obj: obj}
}

// ancestor returns the state of the target ref, adding it on first use.
func (p *policyState) ancestor(ref gwv1.ParentReference) *ancestorState {
	for _, a := range p.ancestors {
		if parentRefEqual(a.ref, ref) {
			return a
		}
	}
	a := &ancestorState{ref: ref}
	p.ancestors = append(p.ancestors, a)
	return a
}

func parentRefEqual(a, b gwv1.ParentReference) bool {
	return a.Name == b.Name && deref(a.Namespace) == deref(b.Namespace) && deref(a.Kind) == deref(b.Kind) &&
		deref(a.Group) == deref(b.Group) && deref(a.SectionName) == deref(b.SectionName) && deref(a.Port) == deref(b.Port)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// record notes one merge of the option under this target: how many top-level fields
// it sets and, for each field another option had already set, a note saying which.
func (a *ancestorState) record(fields int, where func() string, shadowed []string) {
	a.applied = true
	a.contributed = a.contributed || len(shadowed) < fields
	if len(shadowed) > 0 && len(a.shadowed) < maxShadowNotes {
		a.shadowed = append(a.shadowed, where()+": "+strings.Join(shadowed, " and "))
	}
}

// countSet counts the true values.
func countSet(v ...bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}

// status turns what was learnt into the option's status. Accepted is False when the
// option is invalid, or when it is in effect on no target (each reason says why:
// TargetNotFound, Invalid, Shadowed). ResolvedRefs reports its references.
func (p *policyState) status(controller gwv1.GatewayController) gatewayv1.PolicyStatus {
	gen := p.obj.GetGeneration()
	st := gatewayv1.PolicyStatus{}
	for _, a := range p.ancestors {
		st.Ancestors = append(st.Ancestors, gatewayv1.PolicyAncestorStatus{
			AncestorRef:    a.ref,
			ControllerName: controller,
			Conditions:     []metav1.Condition{p.ancestorAccepted(a).condition(gatewayv1.ConditionAccepted, gatewayv1.ReasonAccepted, a.acceptedMessage(p.kind), gen)},
		})
	}
	st.Conditions = []metav1.Condition{
		p.accepted().condition(gatewayv1.ConditionAccepted, gatewayv1.ReasonAccepted, p.acceptedMessage(), gen),
		p.unresolved.condition(gatewayv1.ConditionResolvedRefs, gatewayv1.ReasonResolvedRefs, "every reference was resolved", gen),
	}
	return st
}

// ancestorAccepted are the problems of the option at one target.
func (p *policyState) ancestorAccepted(a *ancestorState) problems {
	switch {
	case len(a.problems) > 0:
		return a.problems
	case len(p.invalid) > 0:
		return p.invalid
	case a.applied && !a.contributed && len(a.shadowed) > 0:
		return problems{{reason: gatewayv1.ReasonShadowed, message: "shadowed, so it changes nothing: " + strings.Join(a.shadowed, "; ")}}
	}
	return nil
}

func (a *ancestorState) acceptedMessage(kind string) string {
	if !a.contributed {
		return fmt.Sprintf("the %s sets no options, so it changes nothing here", kind)
	}
	msg := "in effect"
	if len(a.shadowed) > 0 {
		msg += "; partly shadowed: " + strings.Join(a.shadowed, "; ")
	}
	return msg
}

// accepted are the problems of the option as a whole.
func (p *policyState) accepted() problems {
	if len(p.invalid) > 0 {
		return p.invalid
	}
	if len(p.ancestors) == 0 {
		return problems{{reason: gatewayv1.ReasonTargetNotFound, message: fmt.Sprintf("the %s applies to nothing: it has no targetRefs and no ExtensionRef filter of an HTTPRoute names it; add a targetRef", p.kind)}}
	}
	var out problems
	for _, a := range p.ancestors {
		if a.contributed {
			return nil
		}
		out = append(out, p.ancestorAccepted(a)...)
	}
	return out
}

func (p *policyState) acceptedMessage() string {
	var notes []string
	for _, a := range p.ancestors {
		if pr := p.ancestorAccepted(a); len(pr) > 0 {
			notes = append(notes, pr.message())
		} else if a.contributed && len(a.shadowed) > 0 {
			notes = append(notes, "partly shadowed: "+strings.Join(a.shadowed, "; "))
		}
	}
	msg := "the " + p.kind + " is in effect"
	if !slices.ContainsFunc(p.ancestors, func(a *ancestorState) bool { return a.contributed }) {
		msg = fmt.Sprintf("the %s sets no options, so it changes nothing", p.kind)
	}
	if len(notes) > 0 {
		msg += "; but " + strings.Join(notes, "; ")
	}
	return msg
}

// writePolicyStatuses writes the status of every option that concerns our Gateways:
// options whose targets are all another controller's get no status from us.
func (c *compiler) writePolicyStatuses() {
	for _, o := range c.idx.sortedVHOs {
		st := c.vhos[nsName(o)].state
		if len(st.ancestors) > 0 || len(o.Spec.TargetRefs) == 0 {
			c.res.VirtualHostOptions[nsName(o)] = st.status(c.controllerName())
		}
	}
	extRefRoutes := c.extRefRoutes()
	for _, o := range c.idx.sortedRTOs {
		opt := c.rtos[nsName(o)]
		if opt.status == nil || !c.sameStatusSources(opt.statusSources, o, extRefRoutes[opt]) {
			st := c.routeOptionState(o, extRefRoutes[opt])
			opt.status, opt.statusSources = nil, c.statusSources(o, extRefRoutes[opt])
			if len(st.ancestors) > 0 || len(o.Spec.TargetRefs) == 0 {
				s := st.status(c.controllerName())
				opt.status = &s
			}
		}
		if opt.status != nil {
			c.res.RouteOptions[nsName(o)] = copyPolicyStatus(*opt.status)
		}
	}
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
	key, prob, ours := c.resolveRTOTarget(o, t)
	switch {
	case prob != nil:
		return *prob
	case ours:
		return c.routes[key]
	default:
		return nil
	}
}

// routeOptionState gathers a RouteOption's status: its compile problems, then one
// ancestor per targetRef (a problem, or what it contributed to that route), then one
// per other route whose ExtensionRef filters name it, in route order.
func (c *compiler) routeOptionState(o *gatewayv1.RouteOption, extRefs []*routeIR) *policyState {
	opt := c.rtos[nsName(o)]
	st := newPolicyState(kindRouteOption, o)
	st.invalid, st.unresolved = opt.invalid, opt.unresolved
	for _, t := range o.Spec.TargetRefs {
		key, prob, ours := c.resolveRTOTarget(o, t)
		switch {
		case prob != nil:
			st.ancestor(routeParentRef(key)).problems.add(prob.reason, prob.message)
		case ours:
			adoptContribution(st, c.routes[key], opt)
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
	if src := r.contrib[opt]; src != nil && !a.applied {
		a.applied, a.contributed, a.shadowed = src.applied, src.contributed, src.shadowed
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

// copyPolicyStatus copies the status down to the conditions, so that a caller changing
// a result cannot change what a Compiler reuses.
func copyPolicyStatus(in gatewayv1.PolicyStatus) gatewayv1.PolicyStatus {
	out := gatewayv1.PolicyStatus{Conditions: slices.Clone(in.Conditions), Ancestors: slices.Clone(in.Ancestors)}
	for i := range out.Ancestors {
		out.Ancestors[i].Conditions = slices.Clone(out.Ancestors[i].Conditions)
	}
	return out
}
