package controllers_test

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	"github.com/claimgate/claimgate/controllers"
	"github.com/claimgate/claimgate/controllers/compile"
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

	// A changed Secret compiles everything again, and a changed route spec (a new
	// generation) makes the route's status change: the write keeps the other
	// controller's entry, and the Upstream, whose status does not change, is not written
	// in the same pass.
	out, err := env.Kubectl("-n", ns, "patch", "secret", "openai-secret", "--type=merge", "-p", `{"stringData":{"Authorization":"Bearer sk-2"}}`)
	require.NoError(t, err, out)
	out, err = env.Kubectl("-n", ns, "patch", "httproute", "openai", "--type=json",
		"-p", `[{"op":"add","path":"/spec/rules/0/timeouts","value":{"request":"30s"}}]`)
	require.NoError(t, err, out)
	require.Eventually(t, func() bool {
		s := store.Get(types.NamespacedName{Namespace: ns, Name: "ai-gateway"})
		return s != nil && s.GetUpstreams()[0].GetLlm().GetAuthToken() == "sk-2"
	}, wait, 50*time.Millisecond)
	require.Eventually(t, func() bool {
		var r gwv1.HTTPRoute
		if env.Client.Get(ctx, routeKey, &r) != nil {
			return false
		}
		for _, p := range r.Status.Parents {
			c := meta.FindStatusCondition(p.Conditions, "Accepted")
			if p.ControllerName == "claimgate.dev/gateway-controller" && c != nil && c.ObservedGeneration == r.Generation {
				return r.Generation > route.Generation
			}
		}
		return false
	}, wait, 50*time.Millisecond, "the route's status for its new generation was never written")

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

// countingClient is the API client, counting the status updates sent through it.
type countingClient struct {
	client.Client
	mu      sync.Mutex
	updates map[types.NamespacedName]int
}

func newCountingClient() *countingClient {
	return &countingClient{Client: env.Client, updates: map[types.NamespacedName]int{}}
}

// laggingCache is a countingClient whose reads return stale, as a cache that has not
// seen the latest write yet, before they reach the API server.
type laggingCache struct {
	*countingClient
	stale client.Object
}

func (c laggingCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if key.Namespace == c.stale.GetNamespace() && key.Name == c.stale.GetName() {
		reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(c.stale.DeepCopyObject()).Elem())
		return nil
	}
	return c.countingClient.Get(ctx, key, obj, opts...)
}

func (c *countingClient) Status() client.SubResourceWriter {
	return countingStatus{SubResourceWriter: c.Client.Status(), c: c}
}

// sent is how many status updates were sent for key, conflicting ones included.
func (c *countingClient) sent(key types.NamespacedName) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates[key]
}

type countingStatus struct {
	client.SubResourceWriter
	c *countingClient
}

// Update counts the update before sending it: once its effect can be read, it is counted.
func (s countingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.c.mu.Lock()
	s.c.updates[types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}]++
	s.c.mu.Unlock()
	return s.SubResourceWriter.Update(ctx, obj, opts...)
}

// startStatusWriter runs a status writer over c until the test ends.
func startStatusWriter(t *testing.T, c client.Client) *controllers.StatusWriter {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := controllers.NewStatusWriter(c, env.Client)
	done := make(chan error, 1)
	go func() { done <- w.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return w
}

// createUnservedRoute creates a route whose parent no controller of the suite serves:
// only the test writes its status.
func createUnservedRoute(t *testing.T, ns, name string) *gwv1.HTTPRoute {
	t.Helper()
	route := &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       gwv1.HTTPRouteSpec{CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "not-a-gateway"}}}},
	}
	require.NoError(t, env.Client.Create(context.Background(), route))
	return route
}

// parentEntry is a parent status for the route of createUnservedRoute, of controller ctrl.
func parentEntry(ctrl gwv1.GatewayController, msg string, now metav1.Time) gwv1.RouteParentStatus {
	return gwv1.RouteParentStatus{
		ParentRef: gwv1.ParentReference{Name: "not-a-gateway"}, ControllerName: ctrl,
		Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionFalse, Reason: "NoMatchingParent", Message: msg, LastTransitionTime: now, ObservedGeneration: 1}},
	}
}

// TestStatusWriterMergesAfterConflict offers a route status computed from a stale copy
// of the route, after another controller wrote its own entry, while the cache still has
// the stale copy: the write conflicts, is merged again onto the route as the API server
// has it, and both entries are kept.
func TestStatusWriterMergesAfterConflict(t *testing.T) {
	ctx := context.Background()
	route := createUnservedRoute(t, newNamespace(t), "elsewhere")
	key := types.NamespacedName{Namespace: route.Namespace, Name: route.Name}
	stale := route.DeepCopy()
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	route.Status.Parents = []gwv1.RouteParentStatus{parentEntry("example.com/other-controller", "theirs", now)}
	require.NoError(t, env.Client.Status().Update(ctx, route))

	c := newCountingClient()
	w := startStatusWriter(t, laggingCache{countingClient: c, stale: stale})
	require.True(t, controllers.OfferRouteStatus(w, stale, testWriter, []gwv1.RouteParentStatus{parentEntry(testWriter, "ours", now)}, now))

	require.Eventually(t, func() bool {
		var got gwv1.HTTPRoute
		require.NoError(t, env.Client.Get(ctx, key, &got))
		msgs := map[gwv1.GatewayController]string{}
		for _, p := range got.Status.Parents {
			msgs[p.ControllerName] = p.Conditions[0].Message
		}
		return len(got.Status.Parents) == 2 && msgs["example.com/other-controller"] == "theirs" && msgs[testWriter] == "ours"
	}, wait, 50*time.Millisecond, "both controllers' entries")
	require.Equal(t, 2, c.sent(key), "the stale update conflicted, the merged one was written")
}

// TestStatusWriterSkipsOnlySettledStatuses offers decisions again: the same decision,
// unchanged since written, is passed over without merging, even when given in other
// memory; once another writer changed the status, or for a new decision, the route is
// merged and written again.
func TestStatusWriterSkipsOnlySettledStatuses(t *testing.T) {
	ctx := context.Background()
	route := createUnservedRoute(t, newNamespace(t), "settled")
	key := types.NamespacedName{Namespace: route.Namespace, Name: route.Name}
	c := newCountingClient()
	w := startStatusWriter(t, c)
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	decision := []gwv1.RouteParentStatus{parentEntry(testWriter, "ours", now)}
	written := func(msg string, updates int) *gwv1.HTTPRoute {
		t.Helper()
		var got gwv1.HTTPRoute
		require.Eventually(t, func() bool {
			require.NoError(t, env.Client.Get(ctx, key, &got))
			return len(got.Status.Parents) == 1 && got.Status.Parents[0].Conditions[0].Message == msg
		}, wait, 20*time.Millisecond, "status %q written", msg)
		require.Equal(t, updates, c.sent(key), "status updates sent")
		return &got
	}

	require.True(t, controllers.OfferRouteStatus(w, route, testWriter, decision, now), "a new route is merged")
	first := written("ours", 1)
	require.Eventually(t, func() bool { return controllers.Settled(w, first, decision) }, wait, 5*time.Millisecond, "the write recorded")
	require.False(t, controllers.OfferRouteStatus(w, first, testWriter, decision, now), "a settled decision is passed over")
	again := []gwv1.RouteParentStatus{*decision[0].DeepCopy()}
	require.False(t, controllers.OfferRouteStatus(w, first, testWriter, again, now), "the same decision in other memory is passed over")
	require.Zero(t, controllers.Pending(w), "nothing left to write")

	// Another writer changes our entry: the same decision is merged and written again.
	first.Status.Parents[0].Conditions[0].Message = "changed by hand"
	require.NoError(t, env.Client.Status().Update(ctx, first))
	require.True(t, controllers.OfferRouteStatus(w, first, testWriter, decision, now), "a status changed by others is merged")
	second := written("ours", 2)

	// A new decision for the route as it was written is merged.
	later := []gwv1.RouteParentStatus{parentEntry(testWriter, "ours, later", now)}
	require.True(t, controllers.OfferRouteStatus(w, second, testWriter, later, now), "a new decision is merged")
	written("ours, later", 3)
}

// TestDecisionsIdentifyContent requires equal statuses to have equal Decisions, and
// statuses differing in any one field, set or not, to have different ones.
func TestDecisionsIdentifyContent(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	parents := []gwv1.RouteParentStatus{parentEntry(testWriter, "ours", now)}
	want := compile.RouteStatusDecision(parents)
	require.False(t, want.IsZero())
	require.Equal(t, want, compile.RouteStatusDecision([]gwv1.RouteParentStatus{*parents[0].DeepCopy()}))
	section := gwv1.SectionName("")
	for name, change := range map[string]func(*gwv1.RouteParentStatus){
		"message":            func(p *gwv1.RouteParentStatus) { p.Conditions[0].Message = "theirs" },
		"reason":             func(p *gwv1.RouteParentStatus) { p.Conditions[0].Reason = "Accepted" },
		"observedGeneration": func(p *gwv1.RouteParentStatus) { p.Conditions[0].ObservedGeneration = 2 },
		"transition": func(p *gwv1.RouteParentStatus) {
			p.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(time.Second))
		},
		"controller":        func(p *gwv1.RouteParentStatus) { p.ControllerName = "example.com/other-controller" },
		"empty sectionName": func(p *gwv1.RouteParentStatus) { p.ParentRef.SectionName = &section },
		"no conditions":     func(p *gwv1.RouteParentStatus) { p.Conditions = nil },
		// Where a field ends counts: "Accepte" + "dFalse" is not "Accepted" + "False".
		"moved bytes": func(p *gwv1.RouteParentStatus) { p.Conditions[0].Type, p.Conditions[0].Status = "Accepte", "dFalse" },
	} {
		changed := []gwv1.RouteParentStatus{*parents[0].DeepCopy()}
		change(&changed[0])
		require.NotEqual(t, want, compile.RouteStatusDecision(changed), name)
	}
	require.NotEqual(t, want, compile.RouteStatusDecision(nil), "no parent status")

	policy := gatewayv1.PolicyStatus{
		Conditions: parents[0].Conditions,
		Ancestors:  []gatewayv1.PolicyAncestorStatus{{AncestorRef: parents[0].ParentRef, ControllerName: testWriter, Conditions: parents[0].Conditions}},
	}
	require.Equal(t, compile.PolicyStatusDecision(policy), compile.PolicyStatusDecision(*policy.DeepCopy()))
	changed := *policy.DeepCopy()
	changed.Ancestors[0].Conditions[0].Message = "elsewhere"
	require.NotEqual(t, compile.PolicyStatusDecision(policy), compile.PolicyStatusDecision(changed))
	require.NotEqual(t, compile.PolicyStatusDecision(policy), compile.PolicyStatusDecision(gatewayv1.PolicyStatus{Conditions: policy.Conditions}))
}

// TestCompilerDecisions requires a Compiler to hand out the Decision of every status,
// the same one while a status is unchanged and a new one when it changes, as Compile.
func TestCompilerDecisions(t *testing.T) {
	in := routeInputs(3)
	in.RouteOptions = []*gatewayv1.RouteOption{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "opt", UID: "uid-opt", ResourceVersion: "1", Generation: 1},
		Spec:       gatewayv1.RouteOptionSpec{TargetRefs: []gatewayv1.RouteTargetReference{{Group: gwv1.GroupName, Kind: "HTTPRoute", Name: "route-0"}}},
	}}
	k := compile.NewCompiler()
	first := k.Compile(in)
	requireDecided(t, first, 3, 1)

	// route-0 now sends its traffic to a Service that does not exist.
	r := in.HTTPRoutes[0].DeepCopy()
	r.Spec.Rules[0].BackendRefs = []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "missing", Port: ptr.To(gwv1.PortNumber(80))}}}}
	r.Generation, r.ResourceVersion = 2, "2"
	in.HTTPRoutes[0] = r
	second := k.Compile(in)
	require.True(t, k.Incremental())
	requireDecided(t, second, 3, 1)
	decision := func(res compile.Result, name string) compile.Decision {
		d, _ := res.HTTPRouteDecisions.Of(types.NamespacedName{Namespace: "bench", Name: name})
		return d
	}
	require.NotEqual(t, decision(first, "route-0"), decision(second, "route-0"))
	for _, name := range []string{"route-1", "route-2"} {
		require.Equal(t, decision(first, name), decision(second, name), name)
	}
	require.Equal(t, compile.Compile(in).HTTPRouteDecisions, second.HTTPRouteDecisions)
	require.Equal(t, compile.Compile(in).RouteOptionDecisions, second.RouteOptionDecisions)
}

// TestOffersOnlyRecomputedStatuses requires an incremental compile to name the
// statuses it decided again, the offers after it to offer only those (a status
// overwritten by someone else waits for an offer of every status), a route gone to be
// forgotten, and plans replaced before they started to pass on what they had to offer.
func TestOffersOnlyRecomputedStatuses(t *testing.T) {
	in := routeInputs(3)
	k := compile.NewCompiler()
	first := k.Compile(in)
	require.Nil(t, first.Recomputed, "a full compile decides every status")
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	for i, r := range in.HTTPRoutes {
		in.HTTPRoutes[i] = controllers.RouteStatus(r, testWriter, parentsOf(first, key(r)), now)
		in.HTTPRoutes[i].ResourceVersion = "2"
	}
	w := controllers.NewStatusWriter(nil, nil)
	controllers.OfferStatuses(w, testWriter, routesOf(in), first, first.Recomputed)
	require.Zero(t, controllers.Pending(w), "every route has its status")

	// route-0 now sends its traffic to a Service that does not exist; someone else
	// empties route-1's status.
	r := in.HTTPRoutes[0].DeepCopy()
	r.Spec.Rules[0].BackendRefs = []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "missing", Port: ptr.To(gwv1.PortNumber(80))}}}}
	r.Generation, r.ResourceVersion = 2, "3"
	in.HTTPRoutes[0] = r
	tampered := in.HTTPRoutes[1].DeepCopy()
	tampered.Status.Parents, tampered.ResourceVersion = nil, "3"
	in.HTTPRoutes[1] = tampered
	in.Changed = &compile.Changed{HTTPRoutes: []types.NamespacedName{key(r)}}
	second := k.Compile(in)
	require.True(t, k.Incremental())
	require.NotNil(t, second.Recomputed)
	require.Equal(t, map[types.NamespacedName]bool{key(r): true}, second.Recomputed.HTTPRoutes)
	controllers.OfferStatuses(w, testWriter, routesOf(in), second, second.Recomputed)
	require.Equal(t, 1, controllers.Pending(w), "only route-0's new status is offered")
	controllers.OfferStatuses(w, testWriter, routesOf(in), second, nil)
	require.Equal(t, 2, controllers.Pending(w), "offering every status puts back route-1's")

	// route-2 is deleted: what was settled for it is forgotten.
	gone := in.HTTPRoutes[2]
	require.True(t, controllers.Settled(w, gone, parentsOf(second, key(gone))))
	in.HTTPRoutes = in.HTTPRoutes[:2]
	in.Changed = &compile.Changed{HTTPRoutes: []types.NamespacedName{key(gone)}}
	third := k.Compile(in)
	require.True(t, k.Incremental())
	require.Equal(t, map[types.NamespacedName]bool{key(gone): true}, third.Recomputed.HTTPRoutes)
	controllers.OfferStatuses(w, testWriter, routesOf(in), third, third.Recomputed)
	require.False(t, controllers.Settled(w, gone, parentsOf(second, key(gone))), "a deleted route is forgotten")

	// Plans not started pass on what they had to offer.
	route := func(name string) *compile.Recomputed {
		return &compile.Recomputed{HTTPRoutes: map[types.NamespacedName]bool{{Namespace: "bench", Name: name}: true}}
	}
	p := controllers.NewStatusWriter(nil, nil)
	controllers.Plan(p, route("a"))
	controllers.Plan(p, route("b"))
	only, ok := controllers.Planned(p)
	require.True(t, ok)
	require.Equal(t, map[types.NamespacedName]bool{{Namespace: "bench", Name: "a"}: true, {Namespace: "bench", Name: "b"}: true}, only.HTTPRoutes)
	controllers.Plan(p, nil)
	controllers.Plan(p, route("c"))
	only, ok = controllers.Planned(p)
	require.True(t, ok)
	require.Nil(t, only, "a replaced plan that offered every status makes the next offer every one")
}

// parentsOf is the parent statuses res decides for the route key.
func parentsOf(res compile.Result, key types.NamespacedName) []gwv1.RouteParentStatus {
	st, _ := res.HTTPRoutes.Of(key)
	return st
}

// routesOf are the HTTPRoutes of in alone, whose statuses are offered.
func routesOf(in compile.Inputs) compile.Inputs { return compile.Inputs{HTTPRoutes: in.HTTPRoutes} }

// TestEveryStatusIsOfferedAfterAFullCompileAndEveryTenMinutes: between full compiles,
// the offers are what each compile decided again, except that every status is offered
// once ten minutes passed since they all were (a status overwritten by someone else
// causes no reconciliation).
func TestEveryStatusIsOfferedAfterAFullCompileAndEveryTenMinutes(t *testing.T) {
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := clocktesting.NewFakePassiveClock(start)
	r := controllers.NewBareReconciler()
	some := compile.Result{Recomputed: &compile.Recomputed{HTTPRoutes: map[types.NamespacedName]bool{{Namespace: "a", Name: "b"}: true}}}
	require.Nil(t, controllers.ToOffer(r, c, some), "the first reconciliation offers every status")
	c.SetTime(start.Add(time.Minute))
	require.Same(t, some.Recomputed, controllers.ToOffer(r, c, some), "then only what the compile decided again")
	require.Nil(t, controllers.ToOffer(r, c, compile.Result{}), "a full compile: every status")
	c.SetTime(start.Add(10*time.Minute + time.Second))
	require.Same(t, some.Recomputed, controllers.ToOffer(r, c, some), "ten minutes after the full compile, not after the first")
	c.SetTime(start.Add(11*time.Minute + time.Second))
	require.Nil(t, controllers.ToOffer(r, c, some), "ten minutes since every status was offered")
	require.Same(t, some.Recomputed, controllers.ToOffer(r, c, some))
}

func key(o metav1.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// requireDecided requires a Decision for each of the routes and RouteOptions given a
// status, and only for them, identifying that status.
func requireDecided(t *testing.T, res compile.Result, routes, rtos int) {
	t.Helper()
	require.Equal(t, routes, res.HTTPRoutes.Len())
	require.Equal(t, routes, res.HTTPRouteDecisions.Len())
	for key, st := range res.HTTPRoutes.All() {
		d, ok := res.HTTPRouteDecisions.Of(key)
		require.True(t, ok, key.String())
		require.Equal(t, compile.RouteStatusDecision(st), d, key.String())
	}
	require.Equal(t, rtos, res.RouteOptions.Len())
	require.Equal(t, rtos, res.RouteOptionDecisions.Len())
	for key, st := range res.RouteOptions.All() {
		d, ok := res.RouteOptionDecisions.Of(key)
		require.True(t, ok, key.String())
		require.Equal(t, compile.PolicyStatusDecision(st), d, key.String())
	}
}

// routeInputs are a GatewayClass of testWriter, a Gateway with one HTTP listener and n
// HTTPRoutes on it, in namespace bench, with versions as the API server gives them.
func routeInputs(n int) compile.Inputs {
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: "bench", Name: name, UID: types.UID("uid-" + name), ResourceVersion: "1", Generation: 1}
	}
	class := meta("bench")
	class.Namespace = ""
	in := compile.Inputs{
		ControllerName: testWriter,
		GatewayClasses: []gwv1.GatewayClass{{ObjectMeta: class, Spec: gwv1.GatewayClassSpec{ControllerName: testWriter}}},
		Gateways: []gwv1.Gateway{{ObjectMeta: meta("gw"), Spec: gwv1.GatewaySpec{GatewayClassName: "bench", Listeners: []gwv1.Listener{
			{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 8080},
		}}}},
	}
	for i := range n {
		name := fmt.Sprintf("route-%d", i)
		in.HTTPRoutes = append(in.HTTPRoutes, &gwv1.HTTPRoute{ObjectMeta: meta(name), Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "gw"}}},
			Rules: []gwv1.HTTPRouteRule{{Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{
				Type: ptr.To(gwv1.PathMatchPathPrefix), Value: ptr.To("/" + name),
			}}}}},
		}})
	}
	return in
}

// BenchmarkOfferSettledRoutes offers the statuses of 10,000 HTTPRoutes that have them
// already: "same" offers again the result they were written from, "recompiled"
// alternates between it and the same decisions compiled again, in other memory, as
// after a full compile. Every route is passed over by its Decision, without merging.
func BenchmarkOfferSettledRoutes(b *testing.B) {
	const n = 10000
	in := routeInputs(n)
	results := []compile.Result{compile.Compile(in), compile.Compile(routeInputs(n))}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	for i, route := range in.HTTPRoutes {
		in.HTTPRoutes[i] = controllers.RouteStatus(route, testWriter, parentsOf(results[0], types.NamespacedName{Namespace: route.Namespace, Name: route.Name}), now)
	}
	offered := compile.Inputs{HTTPRoutes: in.HTTPRoutes}
	for _, tc := range []struct {
		name  string
		alter int
	}{{"same", 0}, {"recompiled", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			w := controllers.NewStatusWriter(nil, nil)
			controllers.OfferStatuses(w, testWriter, offered, results[0], nil)
			require.Zero(b, controllers.Pending(w), "every route has its status")
			b.ReportAllocs()
			start, i := processCPU(), 0
			for b.Loop() {
				i++
				controllers.OfferStatuses(w, testWriter, offered, results[i*tc.alter%2], nil)
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			require.Zero(b, controllers.Pending(w))
		})
	}
}

// processCPU is the CPU time of the process so far: a steadier measure than wall time
// on a machine shared with other work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPendingStatuses offers the statuses of 10,000 HTTPRoutes that have none
// yet to a writer not writing, and reports the heap the pending statuses keep.
func BenchmarkPendingStatuses(b *testing.B) {
	const n = 10000
	in := routeInputs(n)
	res := compile.Compile(in)
	for b.Loop() {
		w := controllers.NewStatusWriter(nil, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		controllers.OfferStatuses(w, testWriter, in, res, nil)
		runtime.GC()
		runtime.ReadMemStats(&after)
		require.Equal(b, n+2, controllers.Pending(w), "the routes, the GatewayClass and the Gateway")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/pending")
		runtime.KeepAlive(w)
	}
}
