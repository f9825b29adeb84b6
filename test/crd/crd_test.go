// Package crd_test checks claimgate's CRDs against the real kube-apiserver: the
// tutorial's manifests apply unchanged with kubectl, and every invalid object is rejected
// at apply time with a message that names the field.
package crd_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	"github.com/claimgate/claimgate/test/testenv"
	"github.com/claimgate/claimgate/test/tokens"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env) }

func seedManifests(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(tokens.SeedDir(), "manifests", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the tutorial's manifests were not found")
	sort.Strings(files)
	return files
}

// TestTutorialManifestsApply applies every manifest of the tutorial, unchanged and in
// order, with the real kubectl, and reads the policies back as typed objects.
func TestTutorialManifestsApply(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gloo-system"}}))
	for _, f := range seedManifests(t) {
		out, err := env.Kubectl("apply", "-f", f)
		require.NoError(t, err, "kubectl apply -f %s", filepath.Base(f))
		require.Contains(t, out, "created", "kubectl apply -f %s", filepath.Base(f))
	}

	var vho gatewayv1.VirtualHostOption
	require.NoError(t, env.Client.Get(ctx, client.ObjectKey{Namespace: "gloo-system", Name: "jwt-provider"}, &vho))
	require.Equal(t, "solo.io", vho.Spec.Options.Jwt.Providers["selfminted"].Issuer)
	require.Contains(t, vho.Spec.Options.Jwt.Providers["selfminted"].Jwks.Local.Key, "BEGIN PUBLIC KEY")
	require.Equal(t, "gateway.networking.k8s.io", vho.Spec.TargetRefs[0].Group)

	var rto gatewayv1.RouteOption
	require.NoError(t, env.Client.Get(ctx, client.ObjectKey{Namespace: "gloo-system", Name: "openai-opt"}, &rto))
	p := rto.Spec.Options.Rbac.Policies["viewer"]
	require.Equal(t, ".", p.NestedClaimDelimiter)
	require.Equal(t, gatewayv1.ListContains, p.Principals[0].JwtPrincipal.Matcher)
	v, err := gatewayv1.ClaimValueString(p.Principals[0].JwtPrincipal.Claims["llms.openai"])
	require.NoError(t, err)
	require.Equal(t, "gpt-3.5-turbo", v)

	out, err := env.Kubectl("get", "vho,rto,us", "-n", "gloo-system")
	require.NoError(t, err)
	require.Contains(t, out, "ACCEPTED")
	require.Contains(t, out, "jwt-provider")
	require.Contains(t, out, "openai-opt")
}

// TestBooleanClaimUnquoted: a BOOLEAN claim written as an unquoted YAML true applies and
// reads back as "true".
func TestBooleanClaimUnquoted(t *testing.T) {
	ns := newNamespace(t)
	obj := decode(t, ns, `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: admins}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    rbac:
      policies:
        admins:
          principals:
          - jwtPrincipal:
              claims: {admin: true, verified: "true"}
              matcher: BOOLEAN
`)
	require.NoError(t, env.Client.Create(context.Background(), obj))
	var rto gatewayv1.RouteOption
	require.NoError(t, env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "admins"}, &rto))
	for _, k := range []string{"admin", "verified"} {
		v, err := gatewayv1.ClaimValueString(rto.Spec.Options.Rbac.Policies["admins"].Principals[0].JwtPrincipal.Claims[k])
		require.NoError(t, err)
		require.Equal(t, "true", v, "claim %s", k)
	}
}

// TestGlooShapesApply: options written as Gloo's manifests write them apply: a
// customHost without a port nor an authToken (a local OpenAI-compatible model behind
// TLS on 443, needing no key), a kube Upstream, a RouteOption refusing WebSocket upgrades, a
// VirtualHostOption targeting an XListenerSet (with a day of clock skew, which Gloo
// allows) and one without targetRefs (their status
// says why they change nothing).
func TestGlooShapesApply(t *testing.T) {
	ns := newNamespace(t)
	for _, doc := range []string{`
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: local-llm}
spec:
  ai:
    openai:
      customHost: {host: llm.internal}
`, `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: no-websocket}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    upgrades:
    - websocket: {enabled: false}
`, `
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: {name: listener-set}
spec:
  targetRefs: [{group: gateway.networking.x-k8s.io, kind: XListenerSet, name: team-a}]
  options:
    jwt:
      providers:
        p: {jwks: {local: {key: "-----BEGIN PUBLIC KEY-----"}}, clockSkewSeconds: 86400}
`, `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: vllm}
spec:
  kube: {serviceName: vllm, serviceNamespace: models, servicePort: 8000}
`, `
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: {name: edge-style}
spec:
  options: {rbac: {policies: {}}}
`} {
		require.NoError(t, env.Client.Create(context.Background(), decode(t, ns, doc)))
	}
	var us gloov1.Upstream
	require.NoError(t, env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "local-llm"}, &us))
	require.Equal(t, "llm.internal", us.Spec.AI.OpenAI.CustomHost.Host)
	require.Zero(t, us.Spec.AI.OpenAI.CustomHost.Port)
	require.Nil(t, us.Spec.AI.OpenAI.AuthToken)
	var rto gatewayv1.RouteOption
	require.NoError(t, env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "no-websocket"}, &rto))
	require.False(t, *rto.Spec.Options.Upgrades[0].Websocket.Enabled)
}

func newNamespace(t *testing.T) string { return env.Namespace(t) }

func decode(t *testing.T, ns, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(strings.TrimSpace(doc)), &m))
	u := &unstructured.Unstructured{Object: m}
	u.SetNamespace(ns)
	return u
}

// TestWorkshopLabsApply applies the manifests of Gloo's AI workshop labs 4-10 unchanged
// (moved into a test namespace), with the real kubectl and server-side validation.
func TestWorkshopLabsApply(t *testing.T) {
	labs, err := filepath.Glob(filepath.Join(testenv.ModuleRoot(), "test", "testdata", "seed", "labs", "lab*.yaml"))
	require.NoError(t, err)
	require.Len(t, labs, 7, "labs 4 to 10")
	for _, lab := range labs {
		t.Run(filepath.Base(lab), func(t *testing.T) {
			ns := newNamespace(t)
			raw, err := os.ReadFile(lab)
			require.NoError(t, err)
			f := filepath.Join(t.TempDir(), "lab.yaml")
			require.NoError(t, os.WriteFile(f, []byte(strings.ReplaceAll(string(raw), "gloo-system", ns)), 0o600))
			out, err := env.Kubectl("apply", "--dry-run=server", "-f", f)
			require.NoError(t, err, out)
			require.NotContains(t, out, "unknown field")
		})
	}
}
