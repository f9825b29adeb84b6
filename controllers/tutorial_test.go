package controllers_test

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/publish"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestTutorial applies the access-control tutorial as written (namespace gloo-system)
// and follows it: statuses, the snapshot a proxy receives, ACK, NACK, and deleting the
// RouteOption.
func TestTutorial(t *testing.T) {
	ctx := context.Background()
	ns := "gloo-system"
	require.NoError(t, env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	applyTutorial(t, ns, "00", "10", "20", "30")
	gwKey := types.NamespacedName{Namespace: ns, Name: "ai-gateway"}
	name := func(n string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: n} }

	var gc gwv1.GatewayClass
	eventually(t, types.NamespacedName{Name: "claimgate"}, &gc, func() string {
		return wantCondition(gc.Status.Conditions, "Accepted", gc.Generation, metav1.ConditionTrue, "")
	})
	gatewayCondition(t, gwKey, "Accepted", metav1.ConditionTrue, "")
	gw := gatewayCondition(t, gwKey, "Programmed", metav1.ConditionFalse, "(0/0)")
	require.Equal(t, string(gwv1.GatewayReasonPending), findReason(gw.Status.Conditions, "Programmed"))
	routeAccepted(t, name("openai"))
	vhoCondition(t, name("jwt-provider"), metav1.ConditionTrue, "")
	rtoAccepted(t, name("openai-opt"))
	upstreamAccepted(t, name("openai"))

	p := proxyStream(t, gwKey, "proxy-0")
	snap := p.next(t, wait)
	require.NotNil(t, snap, "the proxy receives the Gateway's snapshot")
	rs := routes(snap)
	require.Len(t, rs, 1)
	require.NotNil(t, rs[0].GetJwt(), "the VirtualHostOption's JWT authentication is on the route")
	require.NotNil(t, rs[0].GetRbac(), "the RouteOption's rbac is on the route")
	require.Equal(t, "sk-test-openai-key", snap.GetUpstreams()[0].GetLlm().GetAuthToken())
	short := publish.ShortVersion(snap.GetVersion())
	gatewayCondition(t, gwKey, "Programmed", metav1.ConditionFalse, "waiting for proxies to acknowledge snapshot "+short+" (0/1)")

	p.ack(t, snap.GetVersion())
	gw = gatewayCondition(t, gwKey, "Programmed", metav1.ConditionTrue, "snapshot "+short+" acknowledged by 1/1 proxies")
	requireListener(t, gw, "http", 1)

	out, err := env.Kubectl("delete", "routeoption", "openai-opt", "-n", ns)
	require.NoError(t, err, out)
	next := p.next(t, wait)
	require.NotNil(t, next, "deleting the RouteOption publishes a new snapshot")
	require.NotEqual(t, snap.GetVersion(), next.GetVersion())
	require.Nil(t, routes(next)[0].GetRbac(), "the route has no rbac any more")
	require.NotNil(t, routes(next)[0].GetJwt(), "the route still needs a token")

	p.nack(t, next.GetVersion(), "route gloo-system/openai: cannot compile")
	gw = gatewayCondition(t, gwKey, "Programmed", metav1.ConditionFalse, "proxy proxy-0 rejected snapshot "+publish.ShortVersion(next.GetVersion())+": route gloo-system/openai: cannot compile")
	require.Equal(t, string(gwv1.GatewayReasonInvalid), findReason(gw.Status.Conditions, "Programmed"))

	requireProvisioned(t, gw, "claimgate-ai-gateway", []corev1.ServicePort{{Name: "http", Port: 8080}})

	label := map[string]string{"gateway": gwKey.String()}
	require.Positive(t, metricValue(t, "claimgate_snapshot_size_bytes", label))
	require.Equal(t, 1.0, metricValue(t, "claimgate_connected_proxies", label))
	require.Equal(t, 1.0, metricValue(t, "claimgate_snapshot_acks_total", label))
	require.Equal(t, 1.0, metricValue(t, "claimgate_snapshot_nacks_total", label))
	require.GreaterOrEqual(t, metricValue(t, "claimgate_snapshots_sent_total", label), 2.0)
}

// metricValue reads a gauge or counter with the given labels from controller-runtime's
// registry, which the manager's metrics endpoint serves.
func metricValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	require.NoError(t, err)
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
	metrics:
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	require.Failf(t, "metric not found", "%s%v", name, labels)
	return 0
}

func findReason(conds []metav1.Condition, typ string) string {
	for _, c := range conds {
		if c.Type == typ {
			return c.Reason
		}
	}
	return ""
}

func requireListener(t *testing.T, gw *gwv1.Gateway, name string, attached int32) {
	t.Helper()
	for _, l := range gw.Status.Listeners {
		if string(l.Name) == name {
			require.Equal(t, attached, l.AttachedRoutes, "listener %s attachedRoutes", name)
			return
		}
	}
	require.Failf(t, "listener status missing", "listener %s in %+v", name, gw.Status.Listeners)
}

// requireProvisioned checks the proxy objects of gw: owned by it, the Service with the
// wanted ports, the Deployment configured to reach the controller, and gw's address.
// name is spelled out by the callers: the test asserts the naming too.
//
//nolint:unparam // one Gateway name today
func requireProvisioned(t *testing.T, gw *gwv1.Gateway, name string, ports []corev1.ServicePort) {
	t.Helper()
	ctx := context.Background()
	key := types.NamespacedName{Namespace: gw.Namespace, Name: name}
	var svc corev1.Service
	require.Eventually(t, func() bool {
		if env.Client.Get(ctx, key, &svc) != nil || len(svc.Spec.Ports) != len(ports) {
			return false
		}
		for i, p := range ports {
			if svc.Spec.Ports[i].Name != p.Name || svc.Spec.Ports[i].Port != p.Port || svc.Spec.Ports[i].TargetPort.IntVal != p.Port {
				return false
			}
		}
		return true
	}, wait, 50*time.Millisecond, "Service %s has ports %+v", key, ports)
	require.Equal(t, corev1.ServiceTypeLoadBalancer, svc.Spec.Type)
	var dep appsv1.Deployment
	require.NoError(t, env.Client.Get(ctx, key, &dep))
	var sa corev1.ServiceAccount
	require.NoError(t, env.Client.Get(ctx, key, &sa))
	var secret corev1.Secret
	require.NoError(t, env.Client.Get(ctx, types.NamespacedName{Namespace: gw.Namespace, Name: name + "-tls"}, &secret))
	cert := tokens.ParseCertificate(t, secret.Data["tls.crt"])
	require.Len(t, cert.URIs, 1)
	require.Equal(t, "spiffe://claimgate.dev/ns/"+gw.Namespace+"/gateway/"+gw.Name, cert.URIs[0].String(), "the proxy certificate names its Gateway")
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(secret.Data["ca.crt"]))
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	for _, obj := range []client.Object{&svc, &dep, &sa, &secret} {
		owner := metav1.GetControllerOf(obj)
		require.NotNil(t, owner, "%T %s has a controller owner", obj, obj.GetName())
		require.Equal(t, "Gateway", owner.Kind)
		require.Equal(t, gw.Name, owner.Name)
		require.Equal(t, gw.UID, owner.UID)
		require.Equal(t, "claimgate", obj.GetLabels()["app.kubernetes.io/managed-by"])
	}
	c := dep.Spec.Template.Spec.Containers[0]
	require.Equal(t, "claimgate/proxy:test", c.Image)
	require.Contains(t, c.Args, "--gateway="+gw.Namespace+"/"+gw.Name)
	require.Contains(t, c.Args, "--controller=claimgate-controller.claimgate-system.svc:9977")
	require.Contains(t, c.Args, "--cert=/etc/claimgate/tls/tls.crt")
	require.Equal(t, name+"-tls", dep.Spec.Template.Spec.Volumes[0].Secret.SecretName)
	require.Equal(t, svc.Spec.Selector, dep.Spec.Selector.MatchLabels)
	for k, v := range svc.Spec.Selector {
		require.Equal(t, v, dep.Spec.Template.Labels[k], "the pods carry the selector label %s", k)
	}

	var got gwv1.Gateway
	eventually(t, types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}, &got, func() string {
		if len(got.Status.Addresses) != 1 || got.Status.Addresses[0].Value != svc.Spec.ClusterIP {
			return "addresses are not the Service's cluster IP " + svc.Spec.ClusterIP
		}
		return ""
	})
}
