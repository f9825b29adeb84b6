package compile

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// ControllerName is the GatewayClass controllerName claimgate owns.
const ControllerName gwv1.GatewayController = "claimgate.dev/gateway-controller"

// Inputs is everything the compiler reads. The reconciler passes the informer cache's
// own objects (and the Secrets its Secret cache keeps), not copies: the compiler only
// reads them, and a Compiler keeps them for its next call. Order does not matter.
// HTTPRoutes and RouteOptions, the kinds there are thousands of, are the cache's
// pointers: an object is never modified once passed, a changed one is a new object
// (as an informer's store replaces them).
type Inputs struct {
	// ControllerName selects the GatewayClasses (and so the Gateways) to compile.
	ControllerName gwv1.GatewayController

	GatewayClasses     []gwv1.GatewayClass
	Gateways           []gwv1.Gateway
	HTTPRoutes         []*gwv1.HTTPRoute
	ReferenceGrants    []gwv1.ReferenceGrant
	Services           []corev1.Service
	Secrets            []corev1.Secret
	VirtualHostOptions []gatewayv1.VirtualHostOption
	RouteOptions       []*gatewayv1.RouteOption
	Upstreams          []gloov1.Upstream
	RateLimitConfigs   []ratelimitv1alpha1.RateLimitConfig
	// RateLimitStore is where proxies keep rate-limit counters (the controller's
	// configuration; nil: in each proxy). Snapshots with rate limits carry it.
	RateLimitStore *snapshotv1.RateLimitStore
	// Namespaces carry the labels a listener's allowedRoutes.namespaces.selector
	// matches. Without them, a Selector admits no route.
	Namespaces []corev1.Namespace
	// Changed, when set, names every HTTPRoute and RouteOption that may have changed
	// since the Compiler's previous call; nil means any may have.
	Changed *Changed
}

// Changed names the HTTPRoutes and RouteOptions that may have been created, changed
// or deleted since a Compiler's previous call: its incremental compile then compares
// only these with what it compiled, instead of every object. A name listed that did
// not change costs a comparison; an object that changed and is not listed keeps its
// previous compile, so the caller must list every one (the reconciler lists those its
// watch events named).
type Changed struct {
	HTTPRoutes, RouteOptions []types.NamespacedName
}

// Result is what the compiler decided: one snapshot per Gateway of our class, and the
// status each object should have. Conditions carry no LastTransitionTime; the status
// writer sets it when a condition changes. A Result is read-only, down to the
// conditions of its statuses: a Compiler's results share what did not change with
// each other and with the compiler's own state.
type Result struct {
	// Snapshots are keyed by Gateway, with Version set.
	Snapshots map[types.NamespacedName]*snapshotv1.Snapshot
	// Encoded holds the protobuf encoding of each snapshot, version included, as sent
	// to proxies (nil when it could not be encoded). Read-only.
	Encoded map[types.NamespacedName][]byte

	// GatewayClasses holds the conditions of each GatewayClass of our controllerName.
	GatewayClasses map[string][]metav1.Condition
	// Gateways holds Accepted and the listener statuses; the reconciler adds Programmed
	// and addresses, which depend on proxies and the provisioned Service.
	Gateways map[types.NamespacedName]gwv1.GatewayStatus
	// HTTPRoutes holds, per route, the parent statuses written by our controller.
	HTTPRoutes Statuses[[]gwv1.RouteParentStatus]
	// VirtualHostOptions, RouteOptions and Upstreams hold each object's status.
	VirtualHostOptions map[types.NamespacedName]gatewayv1.PolicyStatus
	RouteOptions       Statuses[gatewayv1.PolicyStatus]
	Upstreams          map[types.NamespacedName]gloov1.UpstreamStatus
	// RateLimitConfigs holds each RateLimitConfig's status.
	RateLimitConfigs map[types.NamespacedName]ratelimitv1alpha1.RateLimitConfigStatus

	// HTTPRouteDecisions and RouteOptionDecisions identify each status in HTTPRoutes
	// and RouteOptions by its content (see Decision), so that a status writer can tell
	// a decision it already wrote without comparing statuses.
	HTTPRouteDecisions   Decisions
	RouteOptionDecisions Decisions

	// Recomputed, after an incremental compile, names the HTTPRoutes and RouteOptions
	// whose statuses it decided again: every other status in HTTPRoutes and
	// RouteOptions is the previous result's. Nil after a full compile, which decided
	// every status. Read-only.
	Recomputed *Recomputed
}

// Recomputed names the HTTPRoutes and RouteOptions whose statuses a compile decided
// again (see Result.Recomputed). A nil *Recomputed stands for every object.
type Recomputed struct {
	HTTPRoutes, RouteOptions map[types.NamespacedName]bool
}

// Union is what r and o recomputed together: nil (every object) when either is nil.
func (r *Recomputed) Union(o *Recomputed) *Recomputed {
	if r == nil || o == nil {
		return nil
	}
	u := &Recomputed{HTTPRoutes: maps.Clone(r.HTTPRoutes), RouteOptions: maps.Clone(r.RouteOptions)}
	if u.HTTPRoutes == nil {
		u.HTTPRoutes = map[types.NamespacedName]bool{}
	}
	if u.RouteOptions == nil {
		u.RouteOptions = map[types.NamespacedName]bool{}
	}
	maps.Copy(u.HTTPRoutes, o.HTTPRoutes)
	maps.Copy(u.RouteOptions, o.RouteOptions)
	return u
}
