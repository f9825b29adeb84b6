package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is an upstream that records what it receives and answers per path: /flaky
// fails twice with 503 then answers 200, /slow answers after two seconds.
type recorder struct {
	mu    sync.Mutex
	seen  []*http.Request
	flaky int
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.seen = append(rec.seen, r.Clone(r.Context()))
	rec.flaky++
	n := rec.flaky
	rec.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/flaky"):
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	case strings.HasPrefix(r.URL.Path, "/slow"):
		time.Sleep(2 * time.Second)
	}
	_, _ = io.WriteString(w, "upstream "+r.URL.Path)
}

// requests returns what reached the upstream with the prefix, and forgets it.
func (rec *recorder) requests(prefix string) []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out, keep []*http.Request
	for _, r := range rec.seen {
		if strings.HasPrefix(r.URL.Path, prefix) {
			out = append(out, r)
		} else {
			keep = append(keep, r)
		}
	}
	rec.seen = keep
	return out
}

const glooOptionsManifest = `apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: recorder, namespace: gloo-system}
spec:
  static:
    hosts: [{addr: 127.0.0.1, port: %d}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: gloo-options, namespace: gloo-system}
spec:
  parentRefs: [{name: ai-gateway, namespace: gloo-system}]
  rules:
%s---
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: {name: attempt-count, namespace: gloo-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}]
  options: {includeAttemptCountInResponse: true}
`

// glooOptionRules are the rules of the route, each with the RouteOption it names.
var glooOptionRules = map[string]string{
	"/flaky":   `{retries: {retryOn: 5xx, numRetries: 2, retryBackOff: {baseInterval: 10ms}}}`,
	"/rewrite": `{prefixRewrite: /v1, headerManipulation: {requestHeadersToAdd: [{header: {key: x-team, value: platform}}], responseHeadersToAdd: [{header: {key: x-served-by, value: claimgate}}]}}`,
	"/cors":    `{cors: {allowOrigin: [https://app.example.com], allowMethods: [POST], allowHeaders: [content-type], maxAge: "600"}}`,
	"/fault":   `{faults: {abort: {httpStatus: 418, percentage: 100}}}`,
	"/slow":    `{timeout: 300ms}`,
	"/extauth": `{extauth: {configRef: {name: oauth, namespace: gloo-system}}}`,
}

// TestGlooRouteOptions applies Gloo RouteOptions with kubectl and sends requests
// through the proxy process: each option does what Gloo's does, seen from the client
// and from the upstream.
func TestGlooRouteOptions(t *testing.T) {
	setup(t)
	rec := &recorder{}
	backend := httptest.NewServer(rec)
	t.Cleanup(backend.Close)
	var rules, options strings.Builder
	for path, opts := range glooOptionRules {
		name := "opt" + strings.ReplaceAll(path, "/", "-")
		fmt.Fprintf(&rules, "  - matches: [{path: {type: PathPrefix, value: %s}}]\n    filters: [{type: ExtensionRef, extensionRef: {group: gateway.solo.io, kind: RouteOption, name: %s}}]\n    backendRefs: [{name: recorder, group: gloo.solo.io, kind: Upstream}]\n", path, name)
		fmt.Fprintf(&options, "---\napiVersion: gateway.solo.io/v1\nkind: RouteOption\nmetadata: {name: %s, namespace: gloo-system}\nspec:\n  options: %s\n", name, opts)
	}
	manifest := filepath.Join(st.Dir, "gloo-options.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(fmt.Sprintf(glooOptionsManifest, portOfURL(t, backend.URL), rules.String())+options.String()), 0o600))
	kubectl(t, "apply", "-f", manifest)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", manifest) })

	// The last option applied is in effect once the extauth route closes.
	waitStatus(t, http.MethodGet, "/extauth", nil, http.StatusInternalServerError)
	a := send(t, http.MethodGet, "/extauth", nil)
	require.Equal(t, "route uses options.extauth, which claimgate does not implement", a.body)
	require.Empty(t, rec.requests("/extauth"), "a route closed by an option claimgate lacks reaches no upstream")

	t.Run("retries", func(t *testing.T) {
		a := waitStatus(t, http.MethodGet, "/flaky", nil, http.StatusOK)
		require.Len(t, rec.requests("/flaky"), 3, "two retries after the first attempt")
		require.Equal(t, "3", a.header.Get("X-Envoy-Attempt-Count"))
	})
	t.Run("prefixRewrite and headerManipulation", func(t *testing.T) {
		a := waitStatus(t, http.MethodGet, "/rewrite/chat", nil, http.StatusOK)
		require.Equal(t, "upstream /v1/chat", a.body)
		require.Equal(t, "claimgate", a.header.Get("X-Served-By"))
		got := rec.requests("/v1/chat")
		require.NotEmpty(t, got)
		require.Equal(t, "platform", got[len(got)-1].Header.Get("X-Team"))
	})
	t.Run("cors preflight", func(t *testing.T) {
		a := waitStatus(t, http.MethodOptions, "/cors", http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"POST"}}, http.StatusOK)
		require.Equal(t, "https://app.example.com", a.header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "POST", a.header.Get("Access-Control-Allow-Methods"))
		require.Equal(t, "content-type", a.header.Get("Access-Control-Allow-Headers"))
		require.Equal(t, "600", a.header.Get("Access-Control-Max-Age"))
		require.Empty(t, rec.requests("/cors"), "the proxy answers the preflight itself")
	})
	t.Run("faults", func(t *testing.T) {
		a := waitStatus(t, http.MethodGet, "/fault", nil, http.StatusTeapot)
		require.Equal(t, "fault filter abort", a.body)
		require.Empty(t, rec.requests("/fault"))
	})
	t.Run("timeout", func(t *testing.T) {
		a := waitStatus(t, http.MethodGet, "/slow", nil, http.StatusGatewayTimeout)
		require.Equal(t, "upstream request timeout", a.body)
	})
}

// send sends one request through the gateway.
func send(t *testing.T, method, path string, h http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, gatewayURL()+path, nil)
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return answer{body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// waitStatus sends the request until the answer has status (the snapshot with the
// options may still be on its way).
func waitStatus(t *testing.T, method, path string, h http.Header, status int) answer {
	t.Helper()
	var last answer
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(50 * time.Millisecond) {
		if last = send(t, method, path, h); last.status == status {
			return last
		}
	}
	t.Fatalf("%s %s: after 20s the gateway answers %s, want %d", method, path, last, status)
	return last
}

func portOfURL(t *testing.T, u string) int {
	t.Helper()
	_, port, ok := strings.Cut(strings.TrimPrefix(u, "http://"), ":")
	require.True(t, ok, u)
	var p int
	_, err := fmt.Sscan(port, &p)
	require.NoError(t, err)
	return p
}
