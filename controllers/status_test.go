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
