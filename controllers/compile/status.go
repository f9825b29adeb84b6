package compile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
