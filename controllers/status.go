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
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	"github.com/claimgate/claimgate/controllers/compile"
)

// writeStatuses writes every status the compiler decided (with Programmed and addresses
// added to Gateways), each only when it differs from what the object has. The inputs
// are the cache's own objects: they are read, never modified; an object is copied only
// when its status is written.
func (r *Reconciler) writeStatuses(ctx context.Context, in compile.Inputs, out compile.Result, services map[types.NamespacedName]*corev1.Service) error {
	now := metav1.NewTime(r.cfg.Clock.Now().Truncate(time.Second))
	var errs []error
	for i := range in.GatewayClasses {
		gc := &in.GatewayClasses[i]
		if desired, ok := out.GatewayClasses[gc.Name]; ok {
			next := *gc.Status.DeepCopy()
			next.Conditions = mergeConditions(gc.Status.Conditions, desired, gc.Generation, now)
			if !equality.Semantic.DeepEqual(gc.Status, next) {
				obj := gc.DeepCopy()
				obj.Status = next
				errs = append(errs, r.updateStatus(ctx, "GatewayClass", obj))
			}
		}
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
			if next, changed := mergePolicyStatus(o.Status, desired, r.cfg.ControllerName, o.Generation, now); changed {
				obj := o.DeepCopy()
				obj.Status = next
				errs = append(errs, r.updateStatus(ctx, "VirtualHostOption", obj))
			}
		}
	}
	for i := range in.RouteOptions {
		o := &in.RouteOptions[i]
		if desired, ok := out.RouteOptions[key(o)]; ok {
			if next, changed := mergePolicyStatus(o.Status, desired, r.cfg.ControllerName, o.Generation, now); changed {
				obj := o.DeepCopy()
				obj.Status = next
				errs = append(errs, r.updateStatus(ctx, "RouteOption", obj))
			}
		}
	}
	for i := range in.Upstreams {
		errs = append(errs, r.writeUpstreamStatus(ctx, &in.Upstreams[i], out, now))
	}
	return errors.Join(errs...)
}

func (r *Reconciler) writeUpstreamStatus(ctx context.Context, u *gloov1.Upstream, out compile.Result, now metav1.Time) error {
	desired, ok := out.Upstreams[key(u)]
	if !ok {
		return nil
	}
	next := gloov1.UpstreamStatus{Conditions: mergeConditions(u.Status.Conditions, desired.Conditions, u.Generation, now)}
	if equality.Semantic.DeepEqual(u.Status, next) {
		return nil
	}
	obj := u.DeepCopy()
	obj.Status = next
	return r.updateStatus(ctx, "Upstream", obj)
}

// mergePolicyStatus lays desired over old: conditions, and the ancestors this controller
// writes, own (other controllers' ancestors are kept). It returns the new status and
// whether it differs from old, which it does not modify.
func mergePolicyStatus(old, desired gatewayv1.PolicyStatus, own gwv1.GatewayController, gen int64, now metav1.Time) (gatewayv1.PolicyStatus, bool) {
	next := gatewayv1.PolicyStatus{Conditions: mergeConditions(old.Conditions, desired.Conditions, gen, now)}
	for _, a := range old.Ancestors {
		if a.ControllerName != own {
			next.Ancestors = append(next.Ancestors, *a.DeepCopy())
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
		next.Ancestors = append(next.Ancestors, d)
	}
	return next, !equality.Semantic.DeepEqual(old, next)
}

// errConflict says a status write met a newer object; the reconciler requeues without
// reporting an error.
var errConflict = errors.New("status write conflicted")

// updateStatus writes obj's status through the status subresource.
func (r *Reconciler) updateStatus(ctx context.Context, kind string, obj client.Object) error {
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
