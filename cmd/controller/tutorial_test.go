package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/testenv"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestTutorialWithRealProxy runs the controller as main does and the real proxy binary
// as a local process with the certificate files the controller wrote, applies the
// tutorial and sends its requests: the snapshots the controller publishes are accepted
// and enforced end to end.
func TestTutorialWithRealProxy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	backend := fakellm.New(fakellm.Config{})
	backend.Start()
	t.Cleanup(backend.HTTPTest().Close)
	require.NoError(t, env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tutorial-system"}}))
	require.NoError(t, env.Client.Create(ctx, &gwv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "claimgate"},
		Spec:       gwv1.GatewayClassSpec{ControllerName: compile.ControllerName},
	}))
	certDir := filepath.Join(t.TempDir(), "certs")
	f := flags{
		metricsAddr: "0", probeAddr: "0", grpcAddr: freeAddr(t), namespace: "tutorial-system",
		serviceName: "claimgate-controller", caSecret: "ca", serverSecret: "server", clientSecret: "client",
		certDir: certDir, proxyImage: "claimgate/proxy:test", several: true, proxyServiceType: "ClusterIP",
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, restrictedConfig(t), f, testr.New(t)) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool { _, err := os.Stat(filepath.Join(certDir, publish.ClientKeyFile)); return err == nil },
		30*time.Second, 50*time.Millisecond)

	port := freePort(t)
	ns := "gloo-system"
	require.NoError(t, env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	apply(t, "00-gateway.yaml", "port: 8080", "port: "+strconv.Itoa(port))
	host, hostPort, err := net.SplitHostPort(backend.HostPort())
	require.NoError(t, err)
	apply(t, "10-openai-backend.yaml", "      authToken:", "      customHost:\n        host: "+host+"\n        port: "+hostPort+"\n      authToken:")
	startProxy(t, f.grpcAddr, certDir)
	programmed(t, types.NamespacedName{Namespace: ns, Name: "ai-gateway"})

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/openai"
	require.Equal(t, http.StatusOK, post(t, url, ""))
	apply(t, "20-jwt-provider.yaml")
	require.Eventually(t, func() bool { return post(t, url, "") == http.StatusUnauthorized }, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, http.StatusOK, post(t, url, tokens.Bob(t)))
	apply(t, "30-openai-rbac.yaml")
	require.Eventually(t, func() bool { return post(t, url, tokens.Bob(t)) == http.StatusForbidden }, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, http.StatusOK, post(t, url, tokens.Alice(t)))
	out, err := env.Kubectl("delete", "routeoption", "openai-opt", "-n", ns)
	require.NoError(t, err, out)
	require.Eventually(t, func() bool { return post(t, url, tokens.Bob(t)) == http.StatusOK }, 30*time.Second, 100*time.Millisecond)
	programmed(t, types.NamespacedName{Namespace: ns, Name: "ai-gateway"})
}

// restrictedConfig authenticates as a user holding only the generated ClusterRole
// (config/rbac/role.yaml), so the test fails if the RBAC markers miss a permission.
func restrictedConfig(t *testing.T) *rest.Config {
	t.Helper()
	out, err := env.Kubectl("apply", "-f", filepath.Join(testenv.ModuleRoot(), "config", "rbac", "role.yaml"))
	require.NoError(t, err, out)
	out, err = env.Kubectl("create", "clusterrolebinding", "claimgate-controller", "--clusterrole=claimgate-controller", "--user=claimgate-controller")
	require.NoError(t, err, out)
	cfg, err := env.AddUser("claimgate-controller")
	require.NoError(t, err)
	return cfg
}

func freePort(t *testing.T) int {
	t.Helper()
	_, p, err := net.SplitHostPort(freeAddr(t))
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

// apply applies one tutorial manifest with kubectl, replacing old with new first.
func apply(t *testing.T, file string, replace ...string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tokens.SeedDir(), "manifests", file))
	require.NoError(t, err)
	doc := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		require.Contains(t, doc, replace[i])
		doc = strings.Replace(doc, replace[i], replace[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), file)
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	out, err := env.Kubectl("apply", "-f", path)
	require.NoError(t, err, out)
}

// startProxy builds cmd/proxy and runs it with the controller's client certificate files.
func startProxy(t *testing.T, controller, certDir string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "proxy")
	build := exec.Command("go", "build", "-o", bin, "./cmd/proxy")
	build.Dir = testenv.ModuleRoot()
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	cmd := exec.Command(bin, "--gateway=gloo-system/ai-gateway", "--controller="+controller,
		"--ca="+filepath.Join(certDir, publish.CAFile), "--cert="+filepath.Join(certDir, publish.ClientCertFile),
		"--key="+filepath.Join(certDir, publish.ClientKeyFile), "--server-name=localhost",
		"--instance=proxy-0", "--listen-host=127.0.0.1", "--admin-addr="+freeAddr(t), "--access-log=false")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
}

func programmed(t *testing.T, key types.NamespacedName) {
	t.Helper()
	var msg string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var gw gwv1.Gateway
		if env.Client.Get(context.Background(), key, &gw) != nil {
			continue
		}
		if c := meta.FindStatusCondition(gw.Status.Conditions, "Programmed"); c != nil {
			msg = string(c.Status) + ": " + c.Message
			if c.Status == metav1.ConditionTrue && strings.HasSuffix(c.Message, "acknowledged by 1/1 proxies") {
				return
			}
		}
	}
	require.Failf(t, "Gateway not programmed", "%s Programmed is %s", key, msg)
}

// post sends the tutorial's chat request with token (none when empty).
func post(t *testing.T, url, token string) int {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(tokens.SeedDir(), "manifests", "request.json"))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
