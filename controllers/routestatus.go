package controllers

import (
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeStatus lays the compiler's parent statuses over route's (read-only): other
// controllers' entries are kept, ours are replaced (and removed when the route no longer
// has a parent of ours). It returns a copy with the new status, or false when unchanged.
func routeStatus(route *gwv1.HTTPRoute, desired []gwv1.RouteParentStatus, own gwv1.GatewayController, now metav1.Time) (*gwv1.HTTPRoute, bool) {
	old := &route.Status
	var parents []gwv1.RouteParentStatus
	for _, p := range old.Parents {
		if p.ControllerName != own {
			parents = append(parents, *p.DeepCopy())
		}
	}
	for _, dd := range desired {
		d := *dd.DeepCopy() // the compiler's results are read-only
		var existing []metav1.Condition
		for _, p := range old.Parents {
			if p.ControllerName == d.ControllerName && equality.Semantic.DeepEqual(p.ParentRef, d.ParentRef) {
				existing = p.Conditions
			}
		}
		d.Conditions = mergeConditions(existing, d.Conditions, route.Generation, now)
		parents = append(parents, d)
	}
	if len(old.Parents) == 0 && len(parents) == 0 || equality.Semantic.DeepEqual(old.Parents, parents) {
		return route, false
	}
	if parents == nil {
		parents = []gwv1.RouteParentStatus{}
	}
	obj := route.DeepCopy()
	obj.Status.Parents = parents
	return obj, true
}
