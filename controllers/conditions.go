package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// mergeConditions returns desired laid over existing: exactly the desired condition
// types, each with observedGeneration gen. meta.SetStatusCondition keeps an existing
// condition's lastTransitionTime unless its status changes, in which case it becomes now.
func mergeConditions(existing, desired []metav1.Condition, gen int64, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(desired))
	for _, d := range desired {
		if old := meta.FindStatusCondition(existing, d.Type); old != nil {
			out = append(out, *old)
		}
	}
	for _, d := range desired {
		d.ObservedGeneration = gen
		d.LastTransitionTime = now
		meta.SetStatusCondition(&out, d)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
