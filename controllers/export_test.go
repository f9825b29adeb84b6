package controllers

import (
	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// StatusWriter is the status writer, for the tests of package controllers_test.
type StatusWriter = statusWriter

// NewStatusWriter returns a status writer over c, reading fresh objects with reader.
func NewStatusWriter(c client.Client, reader client.Reader) *StatusWriter {
	return newStatusWriter(c, reader, logr.Discard())
}

// OfferRouteStatus offers the parent statuses desired for route, as a reconciliation of
// controller own does: identified by the desired slice, as the compiler's.
func OfferRouteStatus(w *StatusWriter, route *gwv1.HTTPRoute, own gwv1.GatewayController, desired []gwv1.RouteParentStatus, now metav1.Time) {
	offer(w, "HTTPRoute", route, identify(desired), func(r *gwv1.HTTPRoute) (*gwv1.HTTPRoute, bool) {
		return routeStatus(r, desired, own, now)
	})
}
