// Package chart_test checks the Helm chart with the real helm (built from its Go module
// into bin/tools by `make tools`): it lints, renders to the committed golden file, and
// installs into and uninstalls from the real kube-apiserver.
package chart_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/claimgate/claimgate/test/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden file")

func chartDir() string { return filepath.Join(testenv.ModuleRoot(), "charts", "claimgate") }

func helm(t *testing.T, kubeconfig string, args ...string) string {
	t.Helper()
	bin := filepath.Join(testenv.ModuleRoot(), "bin", "tools", "helm")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("helm not found at %s: run `make tools`", bin)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	if kubeconfig != "" {
		cmd.Env = append(cmd.Env, "KUBECONFIG="+kubeconfig)
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helm %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func TestLint(t *testing.T) {
	out := helm(t, "", "lint", "--strict", chartDir())
	require.Contains(t, out, "1 chart(s) linted, 0 chart(s) failed")
}

// TestTemplateGolden renders the chart with its defaults and compares the result with
// testdata/template.golden.yaml (go test ./test/chart -update rewrites it).
func TestTemplateGolden(t *testing.T) {
	out := helm(t, "", "template", "claimgate", chartDir(), "--namespace", "claimgate-system")
	golden := filepath.Join("testdata", "template.golden.yaml")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(out), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), out, "the rendered chart changed; review and run go test ./test/chart -update")

	for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service", "Deployment", "GatewayClass"} {
		require.Contains(t, out, "kind: "+kind+"\n")
	}
}

// TestInstallUninstall installs the chart into the API server, checks every object it
// creates, then uninstalls it and checks they are gone.
func TestInstallUninstall(t *testing.T) {
	env, err := testenv.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	ns := "claimgate-system"
	require.NoError(t, env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))

	out := helm(t, env.Kubeconfig, "install", "claimgate", chartDir(), "--namespace", ns, "--wait=false")
	require.Contains(t, out, "STATUS: deployed")
	require.Contains(t, out, "kubectl get gatewayclass claimgate", "NOTES.txt shows the next step")

	objects := installedObjects(ns)
	for _, obj := range objects {
		require.NoError(t, env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj), "%T %s", obj, obj.GetName())
	}
	dep := objects[3].(*appsv1.Deployment)
	require.Equal(t, "claimgate-controller", dep.Spec.Template.Spec.ServiceAccountName)
	require.Contains(t, dep.Spec.Template.Spec.Containers[0].Args, "--leader-elect=true")
	gc := objects[5].(*gwv1.GatewayClass)
	require.Equal(t, gwv1.GatewayController("claimgate.dev/gateway-controller"), gc.Spec.ControllerName)
	role := objects[1].(*rbacv1.ClusterRole)
	require.NotEmpty(t, role.Rules, "the ClusterRole carries the generated rules")
	requireApplyWarnings(t, env)
	requireAnnotationDenied(t, env)

	helm(t, env.Kubeconfig, "uninstall", "claimgate", "--namespace", ns)
	for _, obj := range installedObjects(ns) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		require.True(t, apierrors.IsNotFound(err), "%T %s still exists after uninstall (err %v)", obj, obj.GetName(), err)
	}
}

// requireApplyWarnings applies options claimgate does not implement and requires
// kubectl to print the chart's admission policy warnings while the objects still apply.
func requireApplyWarnings(t *testing.T, env *testenv.Env) {
	t.Helper()
	manifest := filepath.Join(t.TempDir(), "options.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(`apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: warned, namespace: default}
spec:
  options:
    extauth: {configRef: {name: auth, namespace: gloo-system}}
    tracing: {routeDescriptor: chat}
    timeout: 30s
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: warned, namespace: default}
spec:
  aws: {region: us-east-1}
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: warned-pool, namespace: default}
spec:
  ai:
    multi:
      priorities:
      - pool: [{openai: {model: gpt-4o}}, {bedrock: {model: anthropic.claude-3}}]
`), 0o600))
	// The API server starts enforcing a new policy binding within a few seconds.
	var out string
	require.Eventually(t, func() bool {
		var err error
		out, err = env.Kubectl("apply", "-f", manifest)
		require.NoError(t, err)
		if !strings.Contains(out, "options.extauth") {
			_, _ = env.Kubectl("delete", "-f", manifest)
			return false
		}
		return true
	}, 30*time.Second, 250*time.Millisecond, "no admission warning in kubectl's output:\n%s", out)
	require.Contains(t, out, "options.extauth: claimgate does not implement it, and it admits or refuses traffic")
	require.Contains(t, out, "options.tracing: claimgate does not implement it; it changes nothing")
	require.Contains(t, out, "spec.aws: claimgate does not implement Upstreams of AWS Lambda functions")
	require.Contains(t, out, "spec.ai.multi.priorities[].pool[].bedrock: claimgate does not implement it yet")
	require.NotContains(t, out, "options.timeout", "an implemented option gets no warning")
	require.NotContains(t, out, "pool[].vertexAi", "a failover pool without vertexAi gets no warning of it")
	require.Contains(t, out, "Warning: Validation failed for ValidatingAdmissionPolicy 'claimgate-routeoption-options'")
	require.Contains(t, out, "routeoption.gateway.solo.io/warned created")
	require.Contains(t, out, "upstream.gloo.solo.io/warned created")
	require.Contains(t, out, "upstream.gloo.solo.io/warned-pool created")
}

// requireAnnotationDenied applies a RateLimitConfig whose claimgate annotation is
// neither "true" nor "false" and requires kubectl apply to refuse it, naming the
// annotation, while one with "true" applies.
func requireAnnotationDenied(t *testing.T, env *testenv.Env) {
	t.Helper()
	manifest := func(value string) string {
		path := filepath.Join(t.TempDir(), "rlc.yaml")
		require.NoError(t, os.WriteFile(path, []byte(`apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata:
  name: budget
  namespace: default
  annotations: {claimgate.dev/reserve-max-tokens: "`+value+`"}
spec:
  raw:
    descriptors: [{key: user-id, rateLimit: {requestsPerUnit: 70, unit: HOUR}}]
    rateLimits: [{actions: [{requestHeaders: {headerName: x-user-id, descriptorKey: user-id}}]}]
`), 0o600))
		return path
	}
	bad := manifest("yes")
	var out string
	require.Eventually(t, func() bool {
		var err error
		out, err = env.Kubectl("apply", "-f", bad)
		if err == nil {
			_, _ = env.Kubectl("delete", "-f", bad)
			return false
		}
		return true
	}, 30*time.Second, 250*time.Millisecond, "a bad annotation value applied:\n%s", out)
	require.Contains(t, out, `metadata.annotations[claimgate.dev/reserve-max-tokens]: must be "true" or "false"`)
	out, err := env.Kubectl("apply", "-f", manifest("true"))
	require.NoError(t, err, out)
	require.Contains(t, out, "ratelimitconfig.ratelimit.solo.io/budget created")
}

func installedObjects(ns string) []client.Object {
	name := "claimgate-controller"
	return []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		&gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "claimgate"}},
	}
}

// TestRulesMatchGenerated: the chart's ClusterRole grants exactly the generated rules.
func TestRulesMatchGenerated(t *testing.T) {
	out := helm(t, "", "template", "claimgate", chartDir(), "--show-only", "templates/rbac.yaml")
	docs := strings.Split(out, "\n---\n")
	var rendered rbacv1.ClusterRole
	require.NoError(t, yaml.Unmarshal([]byte(docs[0]), &rendered))
	raw, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "config", "rbac", "role.yaml"))
	require.NoError(t, err)
	var generated rbacv1.ClusterRole
	require.NoError(t, yaml.Unmarshal(raw, &generated))
	require.Equal(t, generated.Rules, rendered.Rules, "charts/claimgate/files/role.yaml is stale: run make manifests")
}

// TestUsageDashboard: with usageDashboard.enabled the chart carries the Prompt Usage
// dashboard as a ConfigMap Grafana's sidecar loads, and its panels query the proxies'
// token metrics by provider, model and user.
func TestUsageDashboard(t *testing.T) {
	out := helm(t, "", "template", "claimgate", chartDir(), "--set", "usageDashboard.enabled=true", "--show-only", "templates/usage-dashboard.yaml")
	var cm corev1.ConfigMap
	require.NoError(t, yaml.Unmarshal([]byte(out), &cm))
	require.Equal(t, "1", cm.Labels["grafana_dashboard"])
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal([]byte(cm.Data["claimgate-usage.json"]), &dash))
	require.Equal(t, "claimgate: Prompt Usage", dash.Title)
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, want := range []string{"by (gen_ai_system, gen_ai_request_model)", "by (claim)", "claimgate_proxy_llm_tokens_total", "gen_ai_client_token_usage_bucket"} {
		require.Contains(t, all, want)
	}
	require.NotContains(t, helm(t, "", "template", "claimgate", chartDir()), "usage-dashboard", "off by default")
}
