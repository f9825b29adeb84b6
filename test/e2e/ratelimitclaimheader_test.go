package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/tokens"
)

// claimHeaderIssuer is the issuer of the tokens TestRateLimitByClaimHeader mints.
const claimHeaderIssuer = "teams.e2e.claimgate"

// rateLimitClaimHeader is a route to a plain upstream limited per team, where the team
// is a header that the listener's JWT provider sets from the verified team claim
// (claimsToHeaders): team a may send 2 requests an hour, team b 3, any other team 1000.
// The VirtualHostOption targets the listener by sectionName, so its jwt wins over a
// Gateway-wide one the other tests apply.
const rateLimitClaimHeader = `apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: claim-team-backend, namespace: gloo-system}
spec:
  static:
    hosts: [{addr: 127.0.0.1, port: %d}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: claim-team, namespace: gloo-system}
spec:
  parentRefs: [{name: ai-gateway, namespace: gloo-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /claim-team}}]
    filters: [{type: ExtensionRef, extensionRef: {group: gateway.solo.io, kind: RouteOption, name: claim-team}}]
    backendRefs: [{name: claim-team-backend, group: gloo.solo.io, kind: Upstream}]
---
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: {name: claim-team-jwt, namespace: gloo-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway, sectionName: http}]
  options:
    jwt:
      providers:
        teams:
          issuer: %s
          jwks: {local: {key: %s}}
          claimsToHeaders: [{claim: team, header: x-team}]
---
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: {name: per-team-header, namespace: gloo-system}
spec:
  raw:
    descriptors:
    - key: team
      rateLimit: {requestsPerUnit: 1000, unit: HOUR}
    - key: team
      value: a
      rateLimit: {requestsPerUnit: 2, unit: HOUR}
    - key: team
      value: b
      rateLimit: {requestsPerUnit: 3, unit: HOUR}
    rateLimits:
    - actions: [{requestHeaders: {headerName: x-team, descriptorKey: team}}]
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: claim-team, namespace: gloo-system}
spec:
  options:
    rateLimitConfigs: {refs: [{name: per-team-header}]}
`

// TestRateLimitByClaimHeader: with the real binaries, a limit keyed on a request header
// that claimsToHeaders fills counts by the verified claim, never by what the client
// sends: the proxy drops the client's x-team before the limits run, so a client
// without the claim who sends x-team: a is not counted in team a's bucket (nor does
// the upstream see the header), and Alice (team a) who sends x-team: b is counted as
// team a; she gets 429 after her 2 requests while Bob (team b) still passes, up to his
// 3. The upstream sees only the requests let through, each with the team of its token.
func TestRateLimitByClaimHeader(t *testing.T) {
	setup(t)
	freshCounters(t)
	rec := &recorder{}
	backend := httptest.NewServer(rec)
	t.Cleanup(backend.Close)
	key := tokens.NewRSA(t, "teams", "RS256")
	pem, err := json.Marshal(key.PublicPEM(t))
	require.NoError(t, err)
	manifest := filepath.Join(st.Dir, "claim-team.yaml")
	require.NoError(t, os.WriteFile(manifest, fmt.Appendf(nil, rateLimitClaimHeader, portOfURL(t, backend.URL), claimHeaderIssuer, pem), 0o600))
	kubectl(t, "apply", "-f", manifest)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", manifest) })
	mint := func(sub, team string) http.Header {
		claims := map[string]any{"iss": claimHeaderIssuer, "sub": sub}
		if team != "" {
			claims["team"] = team
		}
		return http.Header{"Authorization": {"Bearer " + key.Mint(t, claims)}}
	}
	with := func(h http.Header, team string) http.Header {
		h = h.Clone()
		h.Set("X-Team", team)
		return h
	}
	alice, bob, carol, ops := mint("alice", "a"), mint("bob", "b"), mint("carol", ""), mint("ops", "ops")

	// Everything is in effect once a token of the new provider is counted by its team
	// claim: the key's limit for a team without a limit of its own.
	waitLimit(t, ops, "1000, 1000;w=3600")
	rec.requests("/claim-team")

	// Carol's token has no team claim: her x-team is dropped, so no limit applies and
	// team a's bucket is untouched.
	for i := range 3 {
		a := send(t, http.MethodGet, "/claim-team", with(carol, "a"))
		require.Equal(t, http.StatusOK, a.status, "Carol's request %d: %s", i, a)
		require.Empty(t, a.header.Get("X-Ratelimit-Limit"), "no team, no descriptor")
	}
	for _, r := range rec.requests("/claim-team") {
		require.Empty(t, r.Header.Values("X-Team"), "the client's x-team never reaches the upstream")
	}

	// Alice claims team a and says b: she is counted as team a.
	for i := range 2 {
		a := send(t, http.MethodGet, "/claim-team", with(alice, "b"))
		require.Equal(t, http.StatusOK, a.status, "Alice's request %d: %s", i, a)
		require.Equal(t, "2, 2;w=3600", a.header.Get("X-Ratelimit-Limit"))
		require.Equal(t, strconv.Itoa(1-i), a.header.Get("X-Ratelimit-Remaining"))
	}
	for _, r := range rec.requests("/claim-team") {
		require.Equal(t, []string{"a"}, r.Header.Values("X-Team"), "the upstream sees the claim, not the client's value")
	}
	for _, h := range []http.Header{with(alice, "b"), with(alice, "ops"), alice} {
		a := send(t, http.MethodGet, "/claim-team", h)
		require.Equal(t, http.StatusTooManyRequests, a.status, a.String())
		require.Empty(t, a.body)
		require.Equal(t, "true", a.header.Get("X-Envoy-Ratelimited"))
		require.Equal(t, "2, 2;w=3600", a.header.Get("X-Ratelimit-Limit"))
		require.Equal(t, "0", a.header.Get("X-Ratelimit-Remaining"))
		reset, err := strconv.Atoi(a.header.Get("X-Ratelimit-Reset"))
		require.NoError(t, err, "x-ratelimit-reset %q", a.header.Get("X-Ratelimit-Reset"))
		require.True(t, reset > 0 && reset <= 3600, "x-ratelimit-reset %d", reset)
	}
	require.Empty(t, rec.requests("/claim-team"), "a refused request never reaches the upstream")

	// Bob (team b) still passes, whatever x-team he sends, up to his own limit.
	for i := range 3 {
		a := send(t, http.MethodGet, "/claim-team", with(bob, "a"))
		require.Equal(t, http.StatusOK, a.status, "Bob's request %d: %s", i, a)
		require.Equal(t, "3, 3;w=3600", a.header.Get("X-Ratelimit-Limit"))
		require.Equal(t, strconv.Itoa(2-i), a.header.Get("X-Ratelimit-Remaining"))
	}
	a := send(t, http.MethodGet, "/claim-team", bob)
	require.Equal(t, http.StatusTooManyRequests, a.status, a.String())
	require.Equal(t, "true", a.header.Get("X-Envoy-Ratelimited"))
	got := rec.requests("/claim-team")
	require.Len(t, got, 3, "the upstream saw only the requests let through")
	for _, r := range got {
		require.Equal(t, []string{"b"}, r.Header.Values("X-Team"))
		require.Empty(t, r.Header.Get("Authorization"), "the token is not forwarded")
	}
}

// waitLimit sends requests with h until the route counts them against limit.
func waitLimit(t *testing.T, h http.Header, limit string) {
	t.Helper()
	var last answer
	for range 400 {
		if last = send(t, http.MethodGet, "/claim-team", h); last.status == http.StatusOK && last.header.Get("X-Ratelimit-Limit") == limit {
			return
		}
		sleepPoll()
	}
	t.Fatalf("the route never counted against %q: last answer %s, x-ratelimit-limit %q", limit, last, last.header.Get("X-Ratelimit-Limit"))
}
