package controllers

import (
	"sync/atomic"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
)

// StatusWriter is the status writer, for the tests of package controllers_test.
type StatusWriter = statusWriter

// NewStatusWriter returns a status writer over c, reading fresh objects with reader.
func NewStatusWriter(c client.Client, reader client.Reader) *StatusWriter {
	return newStatusWriter(c, reader, logr.Discard())
}

// OfferRouteStatus offers the parent statuses desired for route, as a reconciliation of
// controller own does: with their Decision, as the compiler's. It reports whether the
// writer merged them onto the route; false when it passed the route over as settled.
func OfferRouteStatus(w *StatusWriter, route *gwv1.HTTPRoute, own gwv1.GatewayController, desired []gwv1.RouteParentStatus, now metav1.Time) bool {
	var merged atomic.Bool // a worker merges again after a conflict
	offer(w, "HTTPRoute", route, compile.RouteStatusDecision(desired), func(r *gwv1.HTTPRoute) (*gwv1.HTTPRoute, bool) {
		merged.Store(true)
		return routeStatus(r, desired, own, now)
	})
	return merged.Load()
}

// Settled reports whether w has recorded the route, at its resourceVersion, as written
// with the decision desired.
func Settled(w *StatusWriter, route *gwv1.HTTPRoute, desired []gwv1.RouteParentStatus) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.settled[statusKey{kind: "HTTPRoute", NamespacedName: key(route)}]
	return ok && s.decision == compile.RouteStatusDecision(desired) && s.resourceVersion == route.ResourceVersion
}

// OfferStatuses offers through w the statuses out decides for in (of the HTTPRoutes
// and RouteOptions, those only names; all when nil), as a reconciliation of
// controller own does, with no proxy connected.
func OfferStatuses(w *StatusWriter, own gwv1.GatewayController, in compile.Inputs, out compile.Result, only *compile.Recomputed) {
	r := &Reconciler{
		cfg:    Config{ControllerName: own, Clock: clock.RealClock{}, Tracker: publish.NewTracker(clock.RealClock{}, func() {})},
		status: w,
	}
	r.offerStatuses(in, out, nil, only)
}

// Plan plans offers on w, which does not run them: see Planned.
func Plan(w *StatusWriter, only *compile.Recomputed) {
	w.plan(func(*compile.Recomputed) {}, only)
}

// Planned is what the plan waiting on w is to offer, and whether one waits.
func Planned(w *StatusWriter) (*compile.Recomputed, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nextPlan == nil {
		return nil, false
	}
	return w.nextPlan.only, true
}

// RouteStatus is the route with the parent statuses desired laid over its own, as the
// writer writes them for controller own.
func RouteStatus(route *gwv1.HTTPRoute, own gwv1.GatewayController, desired []gwv1.RouteParentStatus, now metav1.Time) *gwv1.HTTPRoute {
	next, _ := routeStatus(route, desired, own, now)
	return next
}

// Pending is how many statuses w has yet to write.
func Pending(w *StatusWriter) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// ToOffer is what a reconciliation on clock c offers after a compile that gave out,
// following the reconciliations r already ran.
func ToOffer(r *Reconciler, c clock.PassiveClock, out compile.Result) *compile.Recomputed {
	r.cfg.Clock = c
	return r.toOffer(out)
}

// NewBareReconciler is a Reconciler with nothing wired, for ToOffer.
func NewBareReconciler() *Reconciler { return &Reconciler{} }
