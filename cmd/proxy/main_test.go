package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakellm"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestStandaloneRunAndGracefulShutdown runs the command's wiring with --config: the
// admin server turns ready, the listener proxies to the backend with the key injected,
// and SIGTERM ends run without error.
func TestStandaloneRunAndGracefulShutdown(t *testing.T) {
	fake := fakellm.New(fakellm.Config{})
	fake.Start()
	defer fake.Close()
	host, bport, err := net.SplitHostPort(fake.HostPort())
	require.NoError(t, err)
	port, admin := freePort(t), freePort(t)
	cfg := filepath.Join(t.TempDir(), "snapshot.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`gatewayNamespace: gloo-system
gatewayName: ai-gateway
listeners:
- name: http
  port: `+strconv.Itoa(port)+`
  protocol: HTTP
  virtualHosts:
  - name: any
    domains: ["*"]
    routes:
    - name: openai
      match: {path: {type: PATH_PREFIX, value: /openai}}
      filters:
      - urlRewrite: {path: {type: REPLACE_FULL_PATH, value: /v1/chat/completions}}
      backends: [{upstream: openai, weight: 1}]
upstreams:
- name: openai
  llm:
    provider: OPENAI
    authToken: sk-from-file
    endpoint: {host: `+host+`, port: `+bport+`}
`), 0o600))

	f := flags{
		config: cfg, adminAddr: "127.0.0.1:" + strconv.Itoa(admin), listenHost: "127.0.0.1",
		listenPorts: strconv.Itoa(port), shutdownTimeout: time.Second, drainDelay: 300 * time.Millisecond,
	}
	done := make(chan error, 1)
	go func() { done <- run(f, logr.Discard()) }()

	adminURL := "http://127.0.0.1:" + strconv.Itoa(admin)
	require.Eventually(t, func() bool {
		resp, err := http.Get(adminURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)

	resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(port)+"/openai", "application/json", strings.NewReader(`{"model":"gpt-4o"}`))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	seen, ok := fake.Last()
	require.True(t, ok)
	require.Equal(t, "Bearer sk-from-file", seen.Header.Get("Authorization"))

	// The request is counted once its handler returns, which may be just after the
	// client has read the answer.
	var metrics string
	require.Eventually(t, func() bool {
		resp, err := http.Get(adminURL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		metrics = string(b)
		return err == nil && strings.Contains(metrics,
			`claimgate_proxy_requests_total{decision="allowed",reason="",route="openai",status="200"} 1`)
	}, 5*time.Second, 10*time.Millisecond, "request not counted")
	require.NotContains(t, metrics, "sk-from-file")

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	// While draining, the proxy reports not ready and still serves.
	require.Eventually(t, func() bool {
		resp, err := http.Get(adminURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	}, 5*time.Second, 5*time.Millisecond)
	resp, err = http.Post("http://127.0.0.1:"+strconv.Itoa(port)+"/openai", "application/json", strings.NewReader(`{"model":"m"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}

func TestFlagErrors(t *testing.T) {
	tests := map[string]struct {
		f       flags
		wantErr string
	}{
		"no source":          {f: flags{}, wantErr: "one of --config or --controller is required"},
		"both sources":       {f: flags{config: "x", controller: "y"}, wantErr: "exclusive"},
		"bad gateway":        {f: flags{controller: "c:1", gateway: "nameonly"}, wantErr: `--gateway "nameonly" is not namespace/name`},
		"mTLS without files": {f: flags{controller: "c:1", gateway: "ns/gw"}, wantErr: "--insecure"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := newSource(tc.f, nil, nil, logr.Discard())
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	_, err := parsePorts("8080,x")
	require.ErrorContains(t, err, `"x" is not a port`)
	ports, err := parsePorts("8080, 8443")
	require.NoError(t, err)
	require.Equal(t, []uint32{8080, 8443}, ports)
}
