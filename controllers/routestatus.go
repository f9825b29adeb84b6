package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/compile"
)

// writeRouteStatus lays the compiler's parent statuses over route's (read-only): other controllers'
// entries are kept, ours are replaced (and removed when the route no longer has a parent
// of ours).
func (r *Reconciler) writeRouteStatus(ctx context.Context, route *gwv1.HTTPRoute, out compile.Result, now metav1.Time) error {
	desired := out.HTTPRoutes[key(route)]
	old := &route.Status
	var parents []gwv1.RouteParentStatus
	for _, p := range old.Parents {
		if p.ControllerName != r.cfg.ControllerName {
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
		return nil
	}
	if parents == nil {
		parents = []gwv1.RouteParentStatus{}
	}
	obj := route.DeepCopy()
	obj.Status.Parents = parents
	return r.updateStatus(ctx, "HTTPRoute", obj)
}
