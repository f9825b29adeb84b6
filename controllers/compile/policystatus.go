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
	// options are the status of each option the object sets; ignoredNote names the
	// ignored ones for the Accepted condition.
	options     []gatewayv1.OptionStatus
	ignoredNote string
}

// adoptSurvey takes what the survey of the object's options found.
func (p *policyState) adoptSurvey(s *optionSurvey) {
	p.invalid = append(p.invalid, s.unsupported...)
	p.options, p.ignoredNote = s.status, s.ignoredNote()
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
	// notes say where an option it set changes nothing.
	notes []string
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

// note records where an option of the object changes nothing.
func (a *ancestorState) note(n string) {
	if len(a.notes) < maxShadowNotes && !slices.Contains(a.notes, n) {
		a.notes = append(a.notes, n)
	}
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
	st.Options = p.options
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
	if len(a.notes) > 0 {
		msg += "; " + strings.Join(a.notes, "; ")
	}
	return msg
}

// accepted are the problems of the option as a whole.
func (p *policyState) accepted() problems {
	if len(p.invalid) > 0 {
		return p.invalid
	}
	if len(p.ancestors) == 0 {
		why := "it has no targetRefs and no ExtensionRef filter of an HTTPRoute names it; add a targetRef"
		if p.kind == kindVirtualHostOption {
			why = "it has no targetRefs (a Gloo Edge style option attaches to nothing here); add a targetRef to a Gateway"
		}
		return problems{{reason: gatewayv1.ReasonTargetNotFound, message: fmt.Sprintf("the %s applies to nothing: %s", p.kind, why)}}
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
		if a.contributed {
			notes = append(notes, a.notes...)
		}
	}
	msg := "the " + p.kind + " is in effect"
	if !slices.ContainsFunc(p.ancestors, func(a *ancestorState) bool { return a.contributed }) {
		msg = fmt.Sprintf("the %s sets no options, so it changes nothing", p.kind)
	}
	if len(notes) > 0 {
		msg += "; but " + strings.Join(notes, "; ")
	}
	if p.ignoredNote != "" {
		msg += "; " + p.ignoredNote
	}
	return msg
}
