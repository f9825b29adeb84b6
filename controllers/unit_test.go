package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
)

func TestListenerPorts(t *testing.T) {
	l := func(name string, port uint32) *snapshotv1.Listener {
		return &snapshotv1.Listener{Name: name, Port: port}
	}
	tests := map[string]struct {
		listeners []*snapshotv1.Listener
		want      []listenerPort
	}{
		"one per port, sorted": {
			listeners: []*snapshotv1.Listener{l("https", 443), l("http", 80)},
			want:      []listenerPort{{"http", 80}, {"https", 443}},
		},
		"shared port named after the first listener": {
			listeners: []*snapshotv1.Listener{l("b-host", 8080), l("a-host", 8080)},
			want:      []listenerPort{{"a-host", 8080}},
		},
		"dots become dashes": {
			listeners: []*snapshotv1.Listener{l("api.internal", 9090)},
			want:      []listenerPort{{"api-internal", 9090}},
		},
		"too long or clashing names fall back to the number": {
			listeners: []*snapshotv1.Listener{l(strings.Repeat("x", 64), 1), l("a.b", 2), l("a-b", 3)},
			want:      []listenerPort{{"port-1", 1}, {"a-b", 2}, {"port-3", 3}},
		},
		"no listeners": {want: []listenerPort{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, listenerPorts(&snapshotv1.Snapshot{Listeners: tc.listeners}))
		})
	}
}

func TestProxyName(t *testing.T) {
	tests := map[string]struct {
		gateway string
		want    string
	}{
		"short":    {gateway: "ai-gateway", want: "claimgate-ai-gateway"},
		"dotted":   {gateway: "ai.example", want: "claimgate-ai-example-"},
		"too long": {gateway: strings.Repeat("g", 60), want: "claimgate-" + strings.Repeat("g", 40) + "-"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := proxyName(&gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: tc.gateway}})
			require.True(t, strings.HasPrefix(got, tc.want) || got == tc.want, got)
			require.LessOrEqual(t, len(got), 63)
			require.Regexp(t, `^[a-z]([-a-z0-9]*[a-z0-9])?$`, got, "a valid Service name")
		})
	}
}

func TestServiceAddresses(t *testing.T) {
	ip, host := ptr.To(gwv1.IPAddressType), ptr.To(gwv1.HostnameAddressType)
	tests := map[string]struct {
		svc  corev1.Service
		want []gwv1.GatewayStatusAddress
	}{
		"load balancer ingress wins": {
			svc: corev1.Service{
				Spec:   corev1.ServiceSpec{ClusterIP: "10.0.0.1"},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}, {Hostname: "lb.example.com"}}}},
			},
			want: []gwv1.GatewayStatusAddress{{Type: ip, Value: "203.0.113.7"}, {Type: host, Value: "lb.example.com"}},
		},
		"cluster IPs while the load balancer is pending": {
			svc:  corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1", "fd00::1"}}},
			want: []gwv1.GatewayStatusAddress{{Type: ip, Value: "10.0.0.1"}, {Type: ip, Value: "fd00::1"}},
		},
		"headless": {svc: corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, serviceAddresses(&tc.svc))
		})
	}
}

func TestMergeConditions(t *testing.T) {
	then := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	cond := func(typ string, s metav1.ConditionStatus, msg string, at metav1.Time, gen int64) metav1.Condition {
		return metav1.Condition{Type: typ, Status: s, Reason: "R", Message: msg, LastTransitionTime: at, ObservedGeneration: gen}
	}
	existing := []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "old", then, 1), cond("Stale", metav1.ConditionTrue, "", then, 1)}
	tests := map[string]struct {
		desired []metav1.Condition
		want    []metav1.Condition
	}{
		"same status keeps the transition time, takes the new message and generation": {
			desired: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "new", metav1.Time{}, 0)},
			want:    []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "new", then, 2)},
		},
		"a new status transitions now": {
			desired: []metav1.Condition{cond("Accepted", metav1.ConditionFalse, "bad", metav1.Time{}, 0)},
			want:    []metav1.Condition{cond("Accepted", metav1.ConditionFalse, "bad", now, 2)},
		},
		"a new type is added now; types not desired are dropped": {
			desired: []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "old", metav1.Time{}, 0), cond("ResolvedRefs", metav1.ConditionTrue, "", metav1.Time{}, 0)},
			want:    []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "old", then, 2), cond("ResolvedRefs", metav1.ConditionTrue, "", now, 2)},
		},
		"nothing desired": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, mergeConditions(existing, tc.desired, 2, now))
		})
	}
}

func TestProgrammed(t *testing.T) {
	gw := types.NamespacedName{Namespace: "gloo-system", Name: "ai-gateway"}
	snap := &snapshotv1.Snapshot{GatewayNamespace: gw.Namespace, GatewayName: gw.Name}
	require.NoError(t, snapshotv1.SetVersion(snap))
	v := snap.GetVersion()
	accepted := func(s metav1.ConditionStatus) map[types.NamespacedName]gwv1.GatewayStatus {
		return map[types.NamespacedName]gwv1.GatewayStatus{gw: {Conditions: []metav1.Condition{{Type: "Accepted", Status: s, Message: "listener http: port 70000 is out of range"}}}}
	}
	ok := compile.Result{Snapshots: map[types.NamespacedName]*snapshotv1.Snapshot{gw: snap}, Gateways: accepted(metav1.ConditionTrue)}
	tests := map[string]struct {
		out        compile.Result
		proxies    func(*publish.Tracker)
		wantStatus metav1.ConditionStatus
		wantReason gwv1.GatewayConditionReason
		wantMsg    string
	}{
		"no proxy connected": {
			out: ok, proxies: func(*publish.Tracker) {}, wantStatus: metav1.ConditionFalse, wantReason: gwv1.GatewayReasonPending,
			wantMsg: fmt.Sprintf("waiting for proxies to acknowledge snapshot %s (0/0)", v[:8]),
		},
		"one of two acknowledged": {
			out: ok, proxies: func(tr *publish.Tracker) { tr.Connect(gw, "a", v); tr.Connect(gw, "b", "old") },
			wantStatus: metav1.ConditionFalse, wantReason: gwv1.GatewayReasonPending,
			wantMsg: fmt.Sprintf("waiting for proxies to acknowledge snapshot %s (1/2)", v[:8]),
		},
		"all acknowledged": {
			out: ok, proxies: func(tr *publish.Tracker) { tr.Connect(gw, "a", ""); tr.Ack(gw, "a", v); tr.Connect(gw, "b", v) },
			wantStatus: metav1.ConditionTrue, wantReason: gwv1.GatewayReasonProgrammed,
			wantMsg: fmt.Sprintf("snapshot %s acknowledged by 2/2 proxies", v[:8]),
		},
		"rejected": {
			out: ok,
			proxies: func(tr *publish.Tracker) {
				tr.Connect(gw, "b", "")
				tr.Nack(gw, "b", v, "bad regex")
				tr.Connect(gw, "a", "")
				tr.Nack(gw, "a", v, "port in use")
			},
			wantStatus: metav1.ConditionFalse, wantReason: gwv1.GatewayReasonInvalid,
			wantMsg: fmt.Sprintf("proxy a rejected snapshot %s: port in use (and 1 more)", v[:8]),
		},
		"not accepted": {
			out:     compile.Result{Snapshots: ok.Snapshots, Gateways: accepted(metav1.ConditionFalse)},
			proxies: func(*publish.Tracker) {}, wantStatus: metav1.ConditionFalse, wantReason: gwv1.GatewayReasonInvalid,
			wantMsg: "the Gateway is not accepted: listener http: port 70000 is out of range",
		},
		"no snapshot": {
			out: compile.Result{Gateways: accepted(metav1.ConditionTrue)}, proxies: func(*publish.Tracker) {},
			wantStatus: metav1.ConditionFalse, wantReason: gwv1.GatewayReasonInvalid, wantMsg: "no snapshot was compiled for this Gateway",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tr := publish.NewTracker(nil, nil)
			tc.proxies(tr)
			r := &Reconciler{cfg: Config{Tracker: tr}}
			c := r.programmed(gw, tc.out)
			require.Equal(t, "Programmed", c.Type)
			require.Equal(t, tc.wantStatus, c.Status)
			require.Equal(t, string(tc.wantReason), c.Reason)
			require.Equal(t, tc.wantMsg, c.Message)
		})
	}
}

func TestSecretRefs(t *testing.T) {
	up := func(ns, name string, ai gloov1.AIUpstream) gloov1.Upstream {
		return gloov1.Upstream{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: gloov1.UpstreamSpec{AI: &ai}}
	}
	ref := func(name, ns string) *gloov1.SingleAuthToken {
		return &gloov1.SingleAuthToken{SecretRef: &gloov1.SecretRef{Name: name, Namespace: ns}}
	}
	in := compile.Inputs{
		Upstreams: []gloov1.Upstream{
			up("a", "openai", gloov1.AIUpstream{OpenAI: &gloov1.OpenAI{AuthToken: ref("key", "")}}),
			up("a", "anthropic", gloov1.AIUpstream{Anthropic: &gloov1.Anthropic{AuthToken: ref("key", "b")}}),
			up("a", "gemini", gloov1.AIUpstream{Gemini: &gloov1.Gemini{AuthToken: &gloov1.SingleAuthToken{Inline: ptr.To("k")}}}),
			up("a", "again", gloov1.AIUpstream{Mistral: &gloov1.Mistral{AuthToken: ref("key", "a")}}),
		},
		RouteOptions: []*gatewayv1.RouteOption{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "guards", Name: "moderated"},
			Spec: gatewayv1.RouteOptionSpec{Options: gatewayv1.RouteOptions{AI: &gatewayv1.AIRouteSettings{PromptGuard: &gatewayv1.AIPromptGuard{
				Request: &gatewayv1.AIPromptGuardRequest{Moderation: &gatewayv1.AIGuardModeration{OpenAI: &gatewayv1.AIGuardOpenAIModeration{
					AuthToken: &gatewayv1.AIGuardAuthToken{SecretRef: &gatewayv1.AIGuardSecretRef{Name: "moderation"}},
				}}},
			}}}},
		}},
		Gateways: []gwv1.Gateway{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "gw"},
			Spec: gwv1.GatewaySpec{Listeners: []gwv1.Listener{{TLS: &gwv1.ListenerTLSConfig{CertificateRefs: []gwv1.SecretObjectReference{
				{Name: "cert"},
				{Name: "other-ns", Namespace: ptr.To(gwv1.Namespace("certs"))},
				{Name: "not-a-secret", Kind: ptr.To(gwv1.Kind("ConfigMap"))},
			}}}}},
		}},
	}
	require.Equal(t, []types.NamespacedName{
		{Namespace: "a", Name: "key"},
		{Namespace: "b", Name: "key"},
		{Namespace: "certs", Name: "other-ns"},
		{Namespace: "guards", Name: "moderation"},
		{Namespace: "gw", Name: "cert"},
	}, secretRefs(in))
}

// TestMergedStatusesShareNothingWithDesired changes every part of the statuses that
// routeStatus, mergePolicyStatus and mergeUpstreamStatus return, as a status write does when it decodes the
// API server's answer into the object written, and requires the desired statuses (a
// compiler's result, read-only) unchanged.
func TestMergedStatusesShareNothingWithDesired(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	own := gwv1.GatewayController("claimgate.dev/gateway-controller")
	conds := func() []metav1.Condition {
		return []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", Message: "ok"}}
	}
	parent := gwv1.ParentReference{Name: "gw", Namespace: ptr.To(gwv1.Namespace("ns"))}
	desiredRoute := []gwv1.RouteParentStatus{{ParentRef: parent, ControllerName: own, Conditions: conds()}}
	desiredPolicy := gatewayv1.PolicyStatus{
		Conditions: conds(),
		Ancestors:  []gatewayv1.PolicyAncestorStatus{{AncestorRef: parent, ControllerName: own, Conditions: conds()}},
		Options:    []gatewayv1.OptionStatus{{Name: "options.rbac", Outcome: "Honored"}},
	}
	wantRoute, wantPolicy := deepCopyParents(desiredRoute), *desiredPolicy.DeepCopy()
	route := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
	route.Status.Parents = deepCopyParents(desiredRoute) // written before, at generation 0

	written, changed := routeStatus(route, desiredRoute, own, now)
	require.True(t, changed)
	for i := range written.Status.Parents {
		p := &written.Status.Parents[i]
		p.ParentRef.Name, *p.ParentRef.Namespace, p.Conditions[0].Message = "x", "x", "x"
	}
	require.Equal(t, wantRoute, desiredRoute, "routeStatus returned memory of the desired statuses")

	next, changed := mergePolicyStatus(gatewayv1.PolicyStatus{}, desiredPolicy, own, 2, now)
	require.True(t, changed)
	next.Conditions[0].Message, next.Options[0].Message = "x", "x"
	next.Ancestors[0].Conditions[0].Message, *next.Ancestors[0].AncestorRef.Namespace = "x", "x"
	require.Equal(t, wantPolicy, desiredPolicy, "mergePolicyStatus returned memory of the desired status")

	desiredUpstream := gloov1.UpstreamStatus{Conditions: conds(), Options: []gatewayv1.OptionStatus{{Name: "options.failover", Outcome: "Honored"}}}
	wantUpstream := *desiredUpstream.DeepCopy()
	up, changed := mergeUpstreamStatus(gloov1.UpstreamStatus{}, desiredUpstream, 2, now)
	require.True(t, changed)
	up.Conditions[0].Message, up.Options[0].Message = "x", "x"
	require.Equal(t, wantUpstream, desiredUpstream, "mergeUpstreamStatus returned memory of the desired status")
	_, changed = mergeUpstreamStatus(up, up, 2, now)
	require.False(t, changed, "a status laid over itself is unchanged")
}

func deepCopyParents(in []gwv1.RouteParentStatus) []gwv1.RouteParentStatus {
	out := make([]gwv1.RouteParentStatus, len(in))
	for i := range in {
		in[i].DeepCopyInto(&out[i])
	}
	return out
}

func TestCompileSpacing(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	s := compileSpacing{min: 100 * time.Millisecond}
	require.Zero(t, s.wait(ms(0)), "the first compile starts at once")
	require.Equal(t, 70*time.Millisecond, s.wait(ms(30)), "a change 30 ms later waits for the rest")
	require.Equal(t, 1*time.Millisecond, s.wait(ms(99)))
	require.Zero(t, s.wait(ms(100)), "at the interval it starts")
	require.Equal(t, 100*time.Millisecond, s.wait(ms(100)), "and counts from its own start")
	require.Zero(t, s.wait(ms(5000)), "after a quiet spell at once")

	none := compileSpacing{}
	require.Zero(t, none.wait(ms(0)))
	require.Zero(t, none.wait(ms(0)), "no interval: every compile at once")
}
