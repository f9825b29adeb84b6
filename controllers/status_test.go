package controllers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	"github.com/claimgate/claimgate/controllers"
)

// TestStatusWrites checks that statuses are written only when they change, and that
// other controllers' HTTPRoute parent statuses are kept.
func TestStatusWrites(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	applyTutorial(t, ns, "00", "10")
	routeKey := types.NamespacedName{Namespace: ns, Name: "openai"}
	routeAccepted(t, routeKey)
	upKey := types.NamespacedName{Namespace: ns, Name: "openai"}
	upstreamAccepted(t, upKey)
	var up gloov1.Upstream
	require.NoError(t, env.Client.Get(ctx, upKey, &up))
	accepted := meta.FindStatusCondition(up.Status.Conditions, "Accepted")

	// Another controller also serves this route.
	var route gwv1.HTTPRoute
	require.NoError(t, env.Client.Get(ctx, routeKey, &route))
	other := gwv1.RouteParentStatus{
		ParentRef:      gwv1.ParentReference{Name: "elsewhere"},
		ControllerName: "example.com/other-controller",
		Conditions: []metav1.Condition{{
			Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "theirs",
			LastTransitionTime: metav1.NewTime(time.Now().Truncate(time.Second)), ObservedGeneration: route.Generation,
		}},
	}
	route.Status.Parents = append(route.Status.Parents, other)
	require.NoError(t, env.Client.Status().Update(ctx, &route))

	// Changes recompile everything: the route keeps the other controller's entry, and
	// the Upstream, whose status does not change, is not written.
	out, err := env.Kubectl("-n", ns, "label", "httproute", "openai", "team=llm")
	require.NoError(t, err, out)
	out, err = env.Kubectl("-n", ns, "patch", "secret", "openai-secret", "--type=merge", "-p", `{"stringData":{"Authorization":"Bearer sk-2"}}`)
	require.NoError(t, err, out)
	require.Eventually(t, func() bool {
		s := store.Get(types.NamespacedName{Namespace: ns, Name: "ai-gateway"})
		return s != nil && s.GetUpstreams()[0].GetLlm().GetAuthToken() == "sk-2"
	}, wait, 50*time.Millisecond)

	require.NoError(t, env.Client.Get(ctx, routeKey, &route))
	require.Len(t, route.Status.Parents, 2, "our entry and the other controller's")
	controllers := []gwv1.GatewayController{route.Status.Parents[0].ControllerName, route.Status.Parents[1].ControllerName}
	require.ElementsMatch(t, []gwv1.GatewayController{"claimgate.dev/gateway-controller", "example.com/other-controller"}, controllers)

	var again gloov1.Upstream
	require.NoError(t, env.Client.Get(ctx, upKey, &again))
	require.Equal(t, up.ResourceVersion, again.ResourceVersion, "an unchanged status is not written")
	require.Equal(t, accepted.LastTransitionTime, meta.FindStatusCondition(again.Status.Conditions, "Accepted").LastTransitionTime)
}

// testWriter is the controller name the status writer tests write as: the controller
// running in these tests keeps other controllers' entries.
const testWriter gwv1.GatewayController = "example.com/status-writer-test"

// TestStatusWriterMergesAfterConflict offers a route status computed from a stale copy
// of the route, after another controller wrote its own entry: the write conflicts, is
// merged again onto the fresh route, and both entries are kept.
func TestStatusWriterMergesAfterConflict(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := newNamespace(t)
	route := gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "elsewhere"},
		Spec: gwv1.HTTPRouteSpec{CommonRouteSpec: gwv1.CommonRouteSpec{
			ParentRefs: []gwv1.ParentReference{{Name: "not-a-gateway"}},
		}},
	}
	require.NoError(t, env.Client.Create(ctx, &route))
	stale := route.DeepCopy()
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	entry := func(ctrl gwv1.GatewayController, msg string) gwv1.RouteParentStatus {
		return gwv1.RouteParentStatus{
			ParentRef: gwv1.ParentReference{Name: "not-a-gateway"}, ControllerName: ctrl,
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionFalse, Reason: "NoMatchingParent", Message: msg, LastTransitionTime: now, ObservedGeneration: route.Generation}},
		}
	}
	route.Status.Parents = []gwv1.RouteParentStatus{entry("example.com/other-controller", "theirs")}
	require.NoError(t, env.Client.Status().Update(ctx, &route))

	w := controllers.NewStatusWriter(env.Client, env.Client)
	done := make(chan error, 1)
	go func() { done <- w.Start(ctx) }()
	controllers.OfferRouteStatus(w, stale, testWriter, []gwv1.RouteParentStatus{entry(testWriter, "ours")}, now)

	require.Eventually(t, func() bool {
		var got gwv1.HTTPRoute
		require.NoError(t, env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "elsewhere"}, &got))
		msgs := map[gwv1.GatewayController]string{}
		for _, p := range got.Status.Parents {
			msgs[p.ControllerName] = p.Conditions[0].Message
		}
		return len(got.Status.Parents) == 2 && msgs["example.com/other-controller"] == "theirs" && msgs[testWriter] == "ours"
	}, wait, 50*time.Millisecond, "both controllers' entries")
	cancel()
	require.NoError(t, <-done)
}

// TestStatusWriterSkipsOnlySettledStatuses offers the same decision again: unchanged
// since written, the route is not written again; once another writer changed its
// status, the same decision is written again.
func TestStatusWriterSkipsOnlySettledStatuses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := newNamespace(t)
	key := types.NamespacedName{Namespace: ns, Name: "settled"}
	route := gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name},
		Spec:       gwv1.HTTPRouteSpec{CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "not-a-gateway"}}}},
	}
	require.NoError(t, env.Client.Create(ctx, &route))
	w := controllers.NewStatusWriter(env.Client, env.Client)
	done := make(chan error, 1)
	go func() { done <- w.Start(ctx) }()
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	decision := []gwv1.RouteParentStatus{{
		ParentRef: gwv1.ParentReference{Name: "not-a-gateway"}, ControllerName: testWriter,
		Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionFalse, Reason: "NoMatchingParent", Message: "ours", LastTransitionTime: now, ObservedGeneration: 1}},
	}}
	get := func() *gwv1.HTTPRoute {
		var got gwv1.HTTPRoute
		require.NoError(t, env.Client.Get(ctx, key, &got))
		return &got
	}
	written := func() *gwv1.HTTPRoute {
		var got *gwv1.HTTPRoute
		require.Eventually(t, func() bool {
			got = get()
			return len(got.Status.Parents) == 1 && got.Status.Parents[0].Conditions[0].Message == "ours"
		}, wait, 20*time.Millisecond, "our status written")
		return got
	}

	controllers.OfferRouteStatus(w, &route, testWriter, decision, now)
	first := written()
	controllers.OfferRouteStatus(w, first, testWriter, decision, now)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, first.ResourceVersion, get().ResourceVersion, "a settled status is not written again")

	// Another writer changes our entry: the same decision is written again.
	first.Status.Parents[0].Conditions[0].Message = "changed by hand"
	require.NoError(t, env.Client.Status().Update(ctx, first))
	controllers.OfferRouteStatus(w, first, testWriter, decision, now)
	again := written()
	require.NotEqual(t, first.ResourceVersion, again.ResourceVersion)
	cancel()
	require.NoError(t, <-done)
}
