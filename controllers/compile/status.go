package compile

import (
	"crypto/sha256"
	"encoding/binary"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// condition builds a condition without LastTransitionTime (the status writer sets it).
func condition(typ string, ok bool, reason, message string, generation int64) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{
		Type:               typ,
		Status:             status,
		Reason:             reason,
		Message:            truncate(message),
		ObservedGeneration: generation,
	}
}

// maxMessage is the longest condition message the API server accepts.
const maxMessage = 32768

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage-3] + "..."
}

// problem is something wrong with an object, in words a user can act on, with the
// condition reason it is reported under.
type problem struct {
	reason  string
	message string
}

// problems collects what is wrong; the first reason is the one reported.
type problems []problem

func (p *problems) add(reason, message string) {
	*p = append(*p, problem{reason: reason, message: message})
}

// condition returns a True condition with okReason and okMessage when there is no
// problem, else a False one with the first problem's reason and every message.
func (p problems) condition(typ, okReason, okMessage string, generation int64) metav1.Condition {
	if len(p) == 0 {
		return condition(typ, true, okReason, okMessage, generation)
	}
	return condition(typ, false, p[0].reason, p.message(), generation)
}

func (p problems) message() string {
	msg := ""
	for i, pr := range p {
		if i > 0 {
			msg += "; "
		}
		msg += pr.message
	}
	return msg
}

// Decision identifies a status the compiler decided by its content: a SHA-256 of every
// field, cut to 128 bits, so that two statuses that read the same have the same
// Decision and two that differ do not (short of a hash collision). The compiler hands
// one out with each HTTPRoute and RouteOption status; a status writer that wrote a
// decision onto an object can pass the object over, without comparing statuses, while
// both the decision and the object's resourceVersion are unchanged.
type Decision [16]byte

// IsZero reports whether d is the zero Decision, which identifies nothing.
func (d Decision) IsZero() bool { return d == Decision{} }

// Decisions are the Decisions of the statuses of one kind in a Result, by object.
// They are read-only, so that the results of a Compiler share them while they hold.
type Decisions struct {
	m Statuses[Decision]
}

// Of returns the Decision of key's status; false when the result gives key no status.
func (d Decisions) Of(key types.NamespacedName) (Decision, bool) { return d.m.Of(key) }

// Len is how many objects have a Decision.
func (d Decisions) Len() int { return d.m.Len() }

// RouteStatusDecision is the Decision of an HTTPRoute's parent statuses; nil (no
// parent of ours) is a decision too.
func RouteStatusDecision(parents []gwv1.RouteParentStatus) Decision {
	var buf [1024]byte
	b := binary.AppendUvarint(buf[:0], uint64(len(parents)))
	for i := range parents {
		p := &parents[i]
		b = appendParentRef(b, &p.ParentRef)
		b = appendString(b, string(p.ControllerName))
		b = appendConditions(b, p.Conditions)
	}
	return decisionOf(b)
}

// PolicyStatusDecision is the Decision of a VirtualHostOption's or RouteOption's status.
func PolicyStatusDecision(st gatewayv1.PolicyStatus) Decision {
	var buf [1024]byte
	b := appendConditions(buf[:0], st.Conditions)
	b = binary.AppendUvarint(b, uint64(len(st.Ancestors)))
	for i := range st.Ancestors {
		a := &st.Ancestors[i]
		b = appendParentRef(b, &a.AncestorRef)
		b = appendString(b, string(a.ControllerName))
		b = appendConditions(b, a.Conditions)
	}
	b = binary.AppendUvarint(b, uint64(len(st.Options)))
	for _, o := range st.Options {
		b = appendString(appendString(appendString(b, o.Name), string(o.Outcome)), o.Message)
	}
	return decisionOf(b)
}

func decisionOf(encoded []byte) Decision {
	sum := sha256.Sum256(encoded)
	return Decision(sum[:len(Decision{})])
}

// appendConditions appends an unambiguous encoding of conds: a count, then each
// condition's fields, strings with their length.
func appendConditions(b []byte, conds []metav1.Condition) []byte {
	b = binary.AppendUvarint(b, uint64(len(conds)))
	for i := range conds {
		c := &conds[i]
		b = appendString(b, c.Type)
		b = appendString(b, string(c.Status))
		b = binary.AppendVarint(b, c.ObservedGeneration)
		b = binary.AppendVarint(b, c.LastTransitionTime.Unix())
		b = binary.AppendVarint(b, int64(c.LastTransitionTime.Nanosecond()))
		b = appendString(b, c.Reason)
		b = appendString(b, c.Message)
	}
	return b
}

// appendParentRef appends an encoding of ref, telling unset fields from empty ones.
func appendParentRef(b []byte, ref *gwv1.ParentReference) []byte {
	b = appendOptional(b, (*string)(ref.Group))
	b = appendOptional(b, (*string)(ref.Kind))
	b = appendOptional(b, (*string)(ref.Namespace))
	b = appendString(b, string(ref.Name))
	b = appendOptional(b, (*string)(ref.SectionName))
	if ref.Port == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), int64(*ref.Port))
}

func appendOptional(b []byte, s *string) []byte {
	if s == nil {
		return append(b, 0)
	}
	return appendString(append(b, 1), *s)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}
