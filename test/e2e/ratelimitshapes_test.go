package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// rateLimitShapes are RateLimitConfigs on a route to a plain (non-AI) upstream, where
// limits count requests: per team claim with a per-value limit nested under the key
// (most specific wins), an early limit per client header that runs before JWT
// authentication, and a set-style limit.
const rateLimitShapes = `apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: shapes-backend, namespace: gloo-system}
spec:
  static:
    hosts: [{addr: 127.0.0.1, port: %d}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shapes, namespace: gloo-system}
spec:
  parentRefs: [{name: ai-gateway, namespace: gloo-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /team}}]
    filters: [{type: ExtensionRef, extensionRef: {group: gateway.solo.io, kind: RouteOption, name: shapes-team}}]
    backendRefs: [{name: shapes-backend, group: gloo.solo.io, kind: Upstream}]
  - matches: [{path: {type: PathPrefix, value: /set}}]
    filters: [{type: ExtensionRef, extensionRef: {group: gateway.solo.io, kind: RouteOption, name: shapes-set}}]
    backendRefs: [{name: shapes-backend, group: gloo.solo.io, kind: Upstream}]
---
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: {name: per-team, namespace: gloo-system}
spec:
  raw:
    descriptors:
    - key: team
      rateLimit: {requestsPerUnit: 1, unit: DAY}
    - key: team
      value: dev
      rateLimit: {requestsPerUnit: 3, unit: DAY}
    rateLimits:
    - actions:
      - metadata: {descriptorKey: team, metadataKey: {key: envoy.filters.http.jwt_authn, path: [{key: principal}, {key: team}]}}
---
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: {name: per-client, namespace: gloo-system}
spec:
  raw:
    descriptors:
    - key: client
      rateLimit: {requestsPerUnit: 2, unit: DAY}
    rateLimits:
    - actions: [{requestHeaders: {headerName: x-client, descriptorKey: client}}]
---
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: {name: free-tier, namespace: gloo-system}
spec:
  raw:
    setDescriptors:
    - simpleDescriptors: [{key: header_match, value: free}, {key: generic_key}]
      rateLimit: {requestsPerUnit: 2, unit: DAY}
    rateLimits:
    - setActions:
      - genericKey: {descriptorValue: shapes}
      - headerValueMatch: {descriptorValue: free, headers: [{name: x-paid, presentMatch: true, invertMatch: true}]}
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: shapes-team, namespace: gloo-system}
spec:
  options:
    rateLimitEarlyConfigs: {refs: [{name: per-client}]}
    rateLimitConfigs: {refs: [{name: per-team}]}
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: shapes-set, namespace: gloo-system}
spec:
  options:
    rateLimitRegularConfigs: {refs: [{name: free-tier}]}
`

// TestRateLimitShapes: with the real binaries, limits on a plain route count requests:
// Alice's team (dev) has its own limit of 3, any other team (Bob's, ops) the key's
// limit of 1; the early limit counts requests before authentication (a client without
// a token gets 401, then 429 once over); the set-style limit applies to requests
// without x-paid; the upstream saw exactly the requests that were let through.
func TestRateLimitShapes(t *testing.T) {
	setup(t)
	freshCounters(t)
	jwtProvider(t)
	var seen countingHandler
	backend := httptest.NewServer(&seen)
	t.Cleanup(backend.Close)
	manifest := filepath.Join(st.Dir, "shapes.yaml")
	require.NoError(t, os.WriteFile(manifest, fmt.Appendf(nil, rateLimitShapes, portOfURL(t, backend.URL)), 0o600))
	kubectl(t, "apply", "-f", manifest)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", manifest) })
	alice, bob := token(t, "alice"), token(t, "bob")
	auth := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	waitStatus(t, http.MethodGet, "/set", http.Header{"Authorization": {"Bearer " + alice}, "X-Paid": {"yes"}}, http.StatusOK)
	seen.reset()

	for i := range 3 {
		require.Equal(t, http.StatusOK, send(t, http.MethodGet, "/team", auth(alice)).status, "Alice's request %d (team dev: 3 a day)", i)
	}
	a := send(t, http.MethodGet, "/team", auth(alice))
	require.Equal(t, http.StatusTooManyRequests, a.status, a.String())
	require.Equal(t, "true", a.header.Get("X-Envoy-Ratelimited"))
	require.Equal(t, http.StatusOK, send(t, http.MethodGet, "/team", auth(bob)).status, "Bob's team has the key's limit of 1")
	require.Equal(t, http.StatusTooManyRequests, send(t, http.MethodGet, "/team", auth(bob)).status)
	require.Equal(t, 4, seen.count(), "the upstream saw only the requests let through")

	anon := http.Header{"X-Client": {"c1"}}
	require.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, "/team", anon).status)
	require.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, "/team", anon).status)
	require.Equal(t, http.StatusTooManyRequests, send(t, http.MethodGet, "/team", anon).status, "the early limit runs before authentication")

	for range 2 {
		require.Equal(t, http.StatusOK, send(t, http.MethodGet, "/set", auth(alice)).status)
	}
	require.Equal(t, http.StatusTooManyRequests, send(t, http.MethodGet, "/set", auth(alice)).status, "the free tier's set limit")
	require.Equal(t, http.StatusOK, send(t, http.MethodGet, "/set", http.Header{"Authorization": {"Bearer " + alice}, "X-Paid": {"yes"}}).status,
		"a paid request does not build the set descriptor")
}

// countingHandler answers 200 and counts the requests it received.
type countingHandler struct{ rec recorder }

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.rec.ServeHTTP(w, r) }

func (c *countingHandler) count() int {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	return len(c.rec.seen)
}

func (c *countingHandler) reset() {
	c.rec.mu.Lock()
	defer c.rec.mu.Unlock()
	c.rec.seen = nil
}
