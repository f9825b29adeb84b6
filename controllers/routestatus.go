package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/compile"
)

// writeRouteStatus lays the compiler's parent statuses over route's: other controllers'
// entries are kept, ours are replaced (and removed when the route no longer has a parent
// of ours).
func (r *Reconciler) writeRouteStatus(ctx context.Context, route *gwv1.HTTPRoute, out compile.Result, now metav1.Time) error {
	desired := out.HTTPRoutes[key(route)]
	old := route.Status.DeepCopy()
	var parents []gwv1.RouteParentStatus
	for _, p := range old.Parents {
		if p.ControllerName != r.cfg.ControllerName {
			parents = append(parents, p)
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
	if parents == nil {
		parents = []gwv1.RouteParentStatus{}
	}
	route.Status.Parents = parents
	if len(old.Parents) == 0 && len(parents) == 0 {
		return nil
	}
	return r.updateStatus(ctx, "HTTPRoute", route, !equality.Semantic.DeepEqual(*old, route.Status))
}
