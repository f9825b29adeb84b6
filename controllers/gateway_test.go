package controllers_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const twoListeners = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ai-gateway
  namespace: gloo-system
spec:
  gatewayClassName: claimgate
  listeners:
  - name: http
    protocol: HTTP
    port: 8080
    allowedRoutes:
      namespaces:
        from: All
  - name: internal.api
    protocol: HTTP
    port: 9090
    hostname: internal.example.com
`

func TestProvisionFollowsListeners(t *testing.T) {
	ns := newNamespace(t)
	applyTutorial(t, ns, "00", "10")
	gwKey := types.NamespacedName{Namespace: ns, Name: "ai-gateway"}
	gw := gatewayCondition(t, gwKey, "Accepted", metav1.ConditionTrue, "")
	requireProvisioned(t, gw, "claimgate-ai-gateway", []corev1.ServicePort{{Name: "http", Port: 8080}})

	applyYAML(t, ns, twoListeners)
	gw = gatewayCondition(t, gwKey, "Accepted", metav1.ConditionTrue, "")
	requireProvisioned(t, gw, "claimgate-ai-gateway", []corev1.ServicePort{{Name: "http", Port: 8080}, {Name: "internal-api", Port: 9090}})
	var dep appsv1.Deployment
	require.NoError(t, env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "claimgate-ai-gateway"}, &dep))
	require.Contains(t, dep.Spec.Template.Spec.Containers[0].Args, "--listen-ports=8080,9090")
}

func TestSecretChangePublishes(t *testing.T) {
	ns := newNamespace(t)
	applyTutorial(t, ns, "00", "10")
	gwKey := types.NamespacedName{Namespace: ns, Name: "ai-gateway"}
	routeAccepted(t, types.NamespacedName{Namespace: ns, Name: "openai"})
	p := proxyStream(t, gwKey, "proxy-0")
	snap := p.next(t, wait)
	require.NotNil(t, snap)
	require.Equal(t, "sk-test-openai-key", snap.GetUpstreams()[0].GetLlm().GetAuthToken())

	out, err := env.Kubectl("-n", ns, "patch", "secret", "openai-secret", "--type=merge", "-p", `{"stringData":{"Authorization":"Bearer sk-rotated"}}`)
	require.NoError(t, err, out)
	next := p.next(t, wait)
	require.NotNil(t, next, "a new key in the referenced Secret publishes a snapshot")
	require.Equal(t, "sk-rotated", next.GetUpstreams()[0].GetLlm().GetAuthToken())
}

func TestDeletedGatewayIsNoLongerPublished(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	applyTutorial(t, ns, "00", "10")
	gwKey := types.NamespacedName{Namespace: ns, Name: "ai-gateway"}
	gw := gatewayCondition(t, gwKey, "Accepted", metav1.ConditionTrue, "")
	requireProvisioned(t, gw, "claimgate-ai-gateway", []corev1.ServicePort{{Name: "http", Port: 8080}})
	routeAccepted(t, types.NamespacedName{Namespace: ns, Name: "openai"})
	p := proxyStream(t, gwKey, "proxy-0")
	first := p.next(t, wait)
	require.NotNil(t, first)
	require.Equal(t, store.Get(gwKey).GetVersion(), first.GetVersion(), "the proxy has the current snapshot")

	require.NoError(t, env.Client.Delete(ctx, &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ai-gateway"}}))
	require.Eventually(t, func() bool { return store.Get(gwKey) == nil }, wait, 50*time.Millisecond, "the snapshot of a deleted Gateway is withdrawn")
	late := proxyStream(t, gwKey, "proxy-1")
	require.Nil(t, late.next(t, time.Second), "a proxy of the deleted Gateway receives nothing")
	out, err := env.Kubectl("-n", ns, "patch", "secret", "openai-secret", "--type=merge", "-p", `{"stringData":{"Authorization":"Bearer sk-other"}}`)
	require.NoError(t, err, out)
	require.Nil(t, p.next(t, time.Second), "changes no longer reach the deleted Gateway's proxies")

	// Without a garbage collector the proxy objects stay; their owner reference to the
	// deleted Gateway is what removes them in a cluster.
	var dep appsv1.Deployment
	require.NoError(t, env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "claimgate-ai-gateway"}, &dep))
	require.Equal(t, gw.UID, metav1.GetControllerOf(&dep).UID)
}

func TestProxyCertificateServesOnlyItsGateway(t *testing.T) {
	nsA, nsB := newNamespace(t), newNamespace(t)
	applyTutorial(t, nsA, "00", "10")
	applyTutorial(t, nsB, "00", "10")
	gwA := types.NamespacedName{Namespace: nsA, Name: "ai-gateway"}
	gwB := types.NamespacedName{Namespace: nsB, Name: "ai-gateway"}
	routeAccepted(t, types.NamespacedName{Namespace: nsB, Name: "openai"})

	intruder := proxyStreamAs(t, gwA, gwB, "proxy-of-a")
	err := intruder.err(t)
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "this client certificate is for Gateway "+gwA.String()+", not "+gwB.String())

	own := proxyStream(t, gwB, "proxy-of-b")
	require.NotNil(t, own.next(t, wait))
}

const badKey = `apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata:
  name: jwt-provider
  namespace: gloo-system
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: ai-gateway
  options:
    jwt:
      providers:
        selfminted:
          issuer: solo.io
          jwks:
            local:
              key: "this is not a key"
`

func TestBadKeyKeepsRouteClosed(t *testing.T) {
	ns := newNamespace(t)
	applyTutorial(t, ns, "00", "10")
	applyYAML(t, ns, badKey)
	vho := vhoCondition(t, types.NamespacedName{Namespace: ns, Name: "jwt-provider"}, metav1.ConditionFalse, "jwks.local.key")
	require.Contains(t, findMessage(vho.Status.Conditions, "Accepted"), "no PEM block found")
	routeAccepted(t, types.NamespacedName{Namespace: ns, Name: "openai"})

	p := proxyStream(t, types.NamespacedName{Namespace: ns, Name: "ai-gateway"}, "proxy-0")
	snap := p.next(t, wait)
	require.NotNil(t, snap)
	require.Len(t, snap.GetJwtProviders(), 1)
	require.NotEmpty(t, snap.GetJwtProviders()[0].GetUnusable(), "the provider is marked unusable")
	require.NotNil(t, routes(snap)[0].GetJwt(), "the route still requires a token, which nothing can verify")
}

func findMessage(conds []metav1.Condition, typ string) string {
	for _, c := range conds {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

// TestProxyCertificateIsRestored corrupts a provisioned proxy certificate: the controller
// sees the Secret change, reads it again and issues a valid certificate.
func TestProxyCertificateIsRestored(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	applyTutorial(t, ns, "00")
	key := types.NamespacedName{Namespace: ns, Name: "claimgate-ai-gateway-tls"}
	var s corev1.Secret
	require.Eventually(t, func() bool { return env.Client.Get(ctx, key, &s) == nil }, wait, 50*time.Millisecond, "Secret %s", key)
	out, err := env.Kubectl("-n", ns, "patch", "secret", key.Name, "--type=merge", "-p", `{"stringData":{"tls.crt":"not a certificate"}}`)
	require.NoError(t, err, out)
	require.Eventually(t, func() bool {
		if env.Client.Get(ctx, key, &s) != nil {
			return false
		}
		block, _ := pem.Decode(s.Data["tls.crt"])
		if block == nil {
			return false
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		roots := x509.NewCertPool()
		if err != nil || !roots.AppendCertsFromPEM(s.Data["ca.crt"]) {
			return false
		}
		_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err == nil
	}, wait, 50*time.Millisecond, "a valid certificate is issued again")
}
