package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/controllers/compile"
)

// offerAllEvery is how often the statuses of every object are offered even when the
// compiles decided only a few again: a status someone else overwrote (which causes no
// reconciliation) is put back within it.
const offerAllEvery = 10 * time.Minute

// toOffer names the HTTPRoutes and RouteOptions whose statuses to offer after the
// compile that gave out: those it decided again, or all (nil) after a full compile
// and at least every offerAllEvery.
func (r *Reconciler) toOffer(out compile.Result) *compile.Recomputed {
	now := r.cfg.Clock.Now()
	if out.Recomputed == nil || now.Sub(r.offeredAll) >= offerAllEvery {
		r.offeredAll = now
		return nil
	}
	return out.Recomputed
}

// noParents is the Decision for a route with no parent status of ours.
var noParents = compile.RouteStatusDecision(nil)

// offerStatuses hands the status writer every status the compiler decided (with
// Programmed and addresses added to Gateways) that differs from what the object has.
// HTTPRoutes and RouteOptions are offered with the compiler's Decisions, which lets the
// writer pass over the thousands already written without comparing them, and only
// those only names (all when nil): the others' decisions are the ones offered before.
// The inputs are the cache's own objects: they are read, never modified; an object is
// copied only when its status is to be written.
func (r *Reconciler) offerStatuses(in compile.Inputs, out compile.Result, services map[types.NamespacedName]*corev1.Service, only *compile.Recomputed) {
	now := metav1.NewTime(r.cfg.Clock.Now().Truncate(time.Second))
	w := r.status
	for i := range in.GatewayClasses {
		if desired, ok := out.GatewayClasses[in.GatewayClasses[i].Name]; ok {
			offer(w, "GatewayClass", &in.GatewayClasses[i], compile.Decision{}, func(gc *gwv1.GatewayClass) (*gwv1.GatewayClass, bool) {
				next := *gc.Status.DeepCopy()
				next.Conditions = mergeConditions(gc.Status.Conditions, desired, gc.Generation, now)
				changed := !equality.Semantic.DeepEqual(gc.Status, next)
				return withStatus(gc, next, func(o *gwv1.GatewayClass) *gwv1.GatewayClassStatus { return &o.Status }, changed)
			})
		}
	}
	r.offerGatewayStatuses(in.Gateways, out, services, nil, now)
	r.offerRouteStatuses(in.HTTPRoutes, out, only, now)
	for i := range in.VirtualHostOptions {
		if desired, ok := out.VirtualHostOptions[key(&in.VirtualHostOptions[i])]; ok {
			offer(w, "VirtualHostOption", &in.VirtualHostOptions[i], compile.Decision{}, func(o *gatewayv1.VirtualHostOption) (*gatewayv1.VirtualHostOption, bool) {
				next, changed := mergePolicyStatus(o.Status, desired, r.cfg.ControllerName, o.Generation, now)
				return withStatus(o, next, func(o *gatewayv1.VirtualHostOption) *gatewayv1.PolicyStatus { return &o.Status }, changed)
			})
		}
	}
	r.offerRouteOptionStatuses(in.RouteOptions, out, only, now)
	for i := range in.Upstreams {
		if desired, ok := out.Upstreams[key(&in.Upstreams[i])]; ok {
			offer(w, "Upstream", &in.Upstreams[i], compile.Decision{}, func(u *gloov1.Upstream) (*gloov1.Upstream, bool) {
				next, changed := mergeUpstreamStatus(u.Status, desired, u.Generation, now)
				return withStatus(u, next, func(o *gloov1.Upstream) *gloov1.UpstreamStatus { return &o.Status }, changed)
			})
		}
	}
	for i := range in.RateLimitConfigs {
		o := &in.RateLimitConfigs[i]
		if desired, ok := out.RateLimitConfigs[key(o)]; ok {
			offer(w, "RateLimitConfig", o, compile.Decision{}, func(o *ratelimitv1alpha1.RateLimitConfig) (*ratelimitv1alpha1.RateLimitConfig, bool) {
				return withStatus(o, desired, func(o *ratelimitv1alpha1.RateLimitConfig) *ratelimitv1alpha1.RateLimitConfigStatus { return &o.Status }, o.Status != desired)
			})
		}
	}
	if only == nil {
		w.endRound()
	}
}

// offerRouteStatuses offers the statuses of the routes only names (all when nil).
func (r *Reconciler) offerRouteStatuses(routes []*gwv1.HTTPRoute, out compile.Result, only *compile.Recomputed, now metav1.Time) {
	offerNamed(r.status, "HTTPRoute", routes, only, routesOf, func(route *gwv1.HTTPRoute, k types.NamespacedName) {
		desired, _ := out.HTTPRoutes.Of(k)
		decision, ok := out.HTTPRouteDecisions.Of(k)
		if !ok {
			decision = noParents
		}
		offer(r.status, "HTTPRoute", route, decision, func(route *gwv1.HTTPRoute) (*gwv1.HTTPRoute, bool) {
			return routeStatus(route, desired, r.cfg.ControllerName, now)
		})
	})
}

// offerRouteOptionStatuses offers the statuses of the RouteOptions only names (all
// when nil).
func (r *Reconciler) offerRouteOptionStatuses(opts []*gatewayv1.RouteOption, out compile.Result, only *compile.Recomputed, now metav1.Time) {
	offerNamed(r.status, "RouteOption", opts, only, routeOptionsOf, func(o *gatewayv1.RouteOption, k types.NamespacedName) {
		desired, ok := out.RouteOptions.Of(k)
		if !ok {
			return
		}
		decision, _ := out.RouteOptionDecisions.Of(k)
		offer(r.status, "RouteOption", o, decision, func(o *gatewayv1.RouteOption) (*gatewayv1.RouteOption, bool) {
			next, changed := mergePolicyStatus(o.Status, desired, r.cfg.ControllerName, o.Generation, now)
			return withStatus(o, next, func(o *gatewayv1.RouteOption) *gatewayv1.PolicyStatus { return &o.Status }, changed)
		})
	})
}

func routesOf(r *compile.Recomputed) map[types.NamespacedName]bool       { return r.HTTPRoutes }
func routeOptionsOf(r *compile.Recomputed) map[types.NamespacedName]bool { return r.RouteOptions }

// offerNamed calls offerOne for every object of objs when only is nil, else for those
// named in pick(only), and then forgets what w settled for the objects named that objs
// no longer has: they are gone (a round of every object forgets them when it ends).
func offerNamed[T client.Object](w *statusWriter, kind string, objs []T, only *compile.Recomputed, pick func(*compile.Recomputed) map[types.NamespacedName]bool, offerOne func(T, types.NamespacedName)) {
	all := only == nil
	var names, gone map[types.NamespacedName]bool
	if !all {
		names = pick(only)
		gone = maps.Clone(names)
	}
	for _, o := range objs {
		if !all && len(gone) == 0 {
			break // every object named is found: no other one is
		}
		k := key(o)
		if !all && !names[k] {
			continue
		}
		delete(gone, k)
		offerOne(o, k)
	}
	for k := range gone {
		w.forget(statusKey{kind: kind, NamespacedName: k})
	}
}

// offerGatewayStatuses offers the status of each of gateways out decided, with the
// proxies' Programmed condition; with generations, only of the Gateways still at the
// generation compiled.
func (r *Reconciler) offerGatewayStatuses(gateways []gwv1.Gateway, out compile.Result, services map[types.NamespacedName]*corev1.Service, generations map[types.NamespacedName]int64, now metav1.Time) {
	for i := range gateways {
		gw := &gateways[i]
		desired, ok := out.Gateways[key(gw)]
		if !ok || generations != nil && generations[key(gw)] != gw.Generation {
			continue
		}
		programmed, svc := r.programmed(key(gw), out), services[key(gw)]
		offer(r.status, "Gateway", gw, compile.Decision{}, func(gw *gwv1.Gateway) (*gwv1.Gateway, bool) {
			return gatewayStatus(gw, desired, programmed, svc, now)
		})
	}
}

// forStatuses is out as the status offers read it: the snapshots by their version
// alone, without their routes and encodings, which the proxies' snapshots hold (a
// few MB each at thousands of routes).
func forStatuses(out compile.Result) compile.Result {
	versions := make(map[types.NamespacedName]*snapshotv1.Snapshot, len(out.Snapshots))
	for gw, snap := range out.Snapshots {
		versions[gw] = &snapshotv1.Snapshot{Version: snap.GetVersion()}
	}
	out.Snapshots, out.Encoded = versions, nil
	return out
}

// lastCompile is what reporting Programmed needs of the last reconciliation.
type lastCompile struct {
	out         compile.Result
	services    map[types.NamespacedName]*corev1.Service
	generations map[types.NamespacedName]int64
}

// remember keeps the compilation for reportProgrammed.
func (r *Reconciler) remember(in compile.Inputs, out compile.Result, services map[types.NamespacedName]*corev1.Service) {
	gens := make(map[types.NamespacedName]int64, len(in.Gateways))
	for i := range in.Gateways {
		gens[key(&in.Gateways[i])] = in.Gateways[i].Generation
	}
	r.last = &lastCompile{out: out, services: services, generations: gens}
}

// reportProgrammed offers the Gateways' statuses again from the last compilation, with
// the proxies' acknowledgements as they are now. A Gateway changed since is left to the
// reconciliation its change causes.
func (r *Reconciler) reportProgrammed(ctx context.Context) error {
	if r.last == nil {
		return nil
	}
	var gateways gwv1.GatewayList
	if err := r.cfg.Client.List(ctx, &gateways, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing Gateways: %w", err)
	}
	now := metav1.NewTime(r.cfg.Clock.Now().Truncate(time.Second))
	r.offerGatewayStatuses(gateways.Items, r.last.out, r.last.services, r.last.generations, now)
	return nil
}

// withStatus returns a copy of obj with status next when changed, else obj and false.
func withStatus[T interface {
	client.Object
	DeepCopy() T
}, S any](obj T, next S, field func(T) *S, changed bool) (T, bool) {
	if !changed {
		return obj, false
	}
	cp := obj.DeepCopy()
	*field(cp) = next
	return cp, true
}

// mergeUpstreamStatus lays desired over old, an Upstream's status, as mergePolicyStatus
// does for a policy: the status it returns shares no memory with desired.
func mergeUpstreamStatus(old, desired gloov1.UpstreamStatus, gen int64, now metav1.Time) (gloov1.UpstreamStatus, bool) {
	next := gloov1.UpstreamStatus{Conditions: mergeConditions(old.Conditions, desired.Conditions, gen, now), Options: slices.Clone(desired.Options)}
	return next, !equality.Semantic.DeepEqual(old, next)
}

// mergePolicyStatus lays desired over old: conditions, and the ancestors this controller
// writes, own (other controllers' ancestors are kept). It returns the new status and
// whether it differs from old. It modifies neither, and the status it returns shares
// no memory with desired: the compiler's results are read-only, and a status write
// decodes the API server's answer into the object written.
func mergePolicyStatus(old, desired gatewayv1.PolicyStatus, own gwv1.GatewayController, gen int64, now metav1.Time) (gatewayv1.PolicyStatus, bool) {
	next := gatewayv1.PolicyStatus{Conditions: mergeConditions(old.Conditions, desired.Conditions, gen, now), Options: slices.Clone(desired.Options)}
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

func key(obj client.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}
}
