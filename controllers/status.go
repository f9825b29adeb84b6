package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	corev1 "k8s.io/api/core/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	"github.com/claimgate/claimgate/controllers/compile"
)

// writeStatuses writes every status the compiler decided (with Programmed and addresses
// added to Gateways), each only when it differs from what the object has.
func (r *Reconciler) writeStatuses(ctx context.Context, in compile.Inputs, out compile.Result, services map[types.NamespacedName]*corev1.Service) error {
	now := metav1.NewTime(r.cfg.Clock.Now().Truncate(time.Second))
	var errs []error
	for i := range in.GatewayClasses {
		gc := &in.GatewayClasses[i]
		desired, ok := out.GatewayClasses[gc.Name]
		if !ok {
			continue
		}
		old := gc.Status.DeepCopy()
		gc.Status.Conditions = mergeConditions(gc.Status.Conditions, desired, gc.Generation, now)
		errs = append(errs, r.updateStatus(ctx, "GatewayClass", gc, !equality.Semantic.DeepEqual(*old, gc.Status)))
	}
	for i := range in.Gateways {
		errs = append(errs, r.writeGatewayStatus(ctx, &in.Gateways[i], out, services, now))
	}
	for i := range in.HTTPRoutes {
		errs = append(errs, r.writeRouteStatus(ctx, &in.HTTPRoutes[i], out, now))
	}
	for i := range in.VirtualHostOptions {
		o := &in.VirtualHostOptions[i]
		if desired, ok := out.VirtualHostOptions[key(o)]; ok {
			changed := mergePolicyStatus(&o.Status, desired, r.cfg.ControllerName, o.Generation, now)
			errs = append(errs, r.updateStatus(ctx, "VirtualHostOption", o, changed))
		}
	}
	for i := range in.RouteOptions {
		o := &in.RouteOptions[i]
		if desired, ok := out.RouteOptions[key(o)]; ok {
			changed := mergePolicyStatus(&o.Status, desired, r.cfg.ControllerName, o.Generation, now)
			errs = append(errs, r.updateStatus(ctx, "RouteOption", o, changed))
		}
	}
	for i := range in.Upstreams {
		u := &in.Upstreams[i]
		if desired, ok := out.Upstreams[key(u)]; ok {
			old := u.Status.DeepCopy()
			u.Status.Conditions = mergeConditions(u.Status.Conditions, desired.Conditions, u.Generation, now)
			errs = append(errs, r.updateStatus(ctx, "Upstream", u, !equality.Semantic.DeepEqual(*old, u.Status)))
		}
	}
	return errors.Join(errs...)
}

// mergePolicyStatus lays desired over st: conditions, and the ancestors this controller
// writes, own (other controllers' ancestors are kept). It reports whether st changed.
func mergePolicyStatus(st *gatewayv1.PolicyStatus, desired gatewayv1.PolicyStatus, own gwv1.GatewayController, gen int64, now metav1.Time) bool {
	old := st.DeepCopy()
	st.Conditions = mergeConditions(st.Conditions, desired.Conditions, gen, now)
	var ancestors []gatewayv1.PolicyAncestorStatus
	for _, a := range old.Ancestors {
		if a.ControllerName != own {
			ancestors = append(ancestors, a)
		}
	}
	for _, dd := range desired.Ancestors {
		d := *dd.DeepCopy() // the compiler's results are read-only
		var existing []metav1.Condition
		for _, a := range old.Ancestors {
			if a.ControllerName == d.ControllerName && equality.Semantic.DeepEqual(a.AncestorRef, d.AncestorRef) {
				existing = a.Conditions
			}
		}
		d.Conditions = mergeConditions(existing, d.Conditions, gen, now)
		ancestors = append(ancestors, d)
	}
	st.Ancestors = ancestors
	return !equality.Semantic.DeepEqual(*old, *st)
}

// errConflict says a status write met a newer object; the reconciler requeues without
// reporting an error.
var errConflict = errors.New("status write conflicted")

// updateStatus writes obj's status through the status subresource when changed.
func (r *Reconciler) updateStatus(ctx context.Context, kind string, obj client.Object, changed bool) error {
	if !changed {
		return nil
	}
	if err := r.cfg.Client.Status().Update(ctx, obj); err != nil {
		if apierrors.IsConflict(err) {
			// The cache is behind our own last write: recompile once it caught up.
			r.cfg.Logger.V(1).Info("status write conflicted; retrying", "kind", kind, "namespace", obj.GetNamespace(), "name", obj.GetName())
			return errConflict
		}
		return fmt.Errorf("writing the status of %s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
	}
	r.cfg.Logger.V(1).Info("wrote status", "kind", kind, "namespace", obj.GetNamespace(), "name", obj.GetName())
	return nil
}

func key(obj client.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
}
