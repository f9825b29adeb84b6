package proxy_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// rlStart is 10:59:30 UTC: the hour's window ends in 30 seconds.
var rlStart = time.Date(2026, 12, 1, 10, 59, 30, 0, time.UTC)

// testClock is a settable clock for the proxy's windows.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// perUserCounter is lab 6's RateLimitConfig as the controller compiles it, limited to
// n requests an hour.
func perUserCounter(n uint32) *snapshotv1.RateLimitPolicy {
	return &snapshotv1.RateLimitPolicy{
		Name:        "gloo-system/per-user-counter",
		Descriptors: []*snapshotv1.RateLimitDescriptor{{Key: "user-id", Limit: &snapshotv1.RateLimit{RequestsPerUnit: n, Unit: snapshotv1.RateLimitUnit_HOUR}}},
		Actions: []*snapshotv1.RateLimitActions{{Actions: []*snapshotv1.RateLimitAction{{Kind: &snapshotv1.RateLimitAction_Claim{
			Claim: &snapshotv1.ClaimAction{DescriptorKey: "user-id", Path: []string{"sub"}, DefaultValue: "unknown"},
		}}}}},
	}
}

// limitBy is a policy limiting each value of key, which action yields, to n a minute.
func limitBy(name, key string, n uint32, action *snapshotv1.RateLimitAction) *snapshotv1.RateLimitPolicy {
	return &snapshotv1.RateLimitPolicy{
		Name:        name,
		Descriptors: []*snapshotv1.RateLimitDescriptor{{Key: key, Limit: &snapshotv1.RateLimit{RequestsPerUnit: n, Unit: snapshotv1.RateLimitUnit_MINUTE}}},
		Actions:     []*snapshotv1.RateLimitActions{{Actions: []*snapshotv1.RateLimitAction{action}}},
	}
}

func byHeader(name, key string) *snapshotv1.RateLimitAction {
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RequestHeader{RequestHeader: &snapshotv1.RequestHeaderAction{HeaderName: name, DescriptorKey: key}}}
}

// rateLimitedProxy serves the tutorial's route with JWT and limits on a clock of its own.
func rateLimitedProxy(t *testing.T, limits *snapshotv1.RateLimits, edit func(*snapshotv1.Snapshot)) (*harness, *testClock) {
	t.Helper()
	clk := &testClock{t: rlStart}
	h := newHarness(t, fakellm.Config{}, func(c *proxy.Config) { c.Now = clk.Now })
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	s.Listeners[0].VirtualHosts[0].Routes[0].RateLimits = limits
	if edit != nil {
		edit(s)
	}
	h.apply(s, false)
	return h, clk
}

// requireLimited checks a 429 of limit at rlStart, 30 seconds before the hour ends.
func requireLimited(t *testing.T, resp *http.Response, body, limit string) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, body)
	require.Empty(t, body)
	require.Equal(t, "true", resp.Header.Get("X-Envoy-Ratelimited"))
	require.Equal(t, limit, resp.Header.Get("X-Ratelimit-Limit"))
	require.Equal(t, "0", resp.Header.Get("X-Ratelimit-Remaining"))
	require.Equal(t, "30", resp.Header.Get("X-Ratelimit-Reset"))
}

// TestRateLimitLab6: lab 6's per-user limit: Alice's first requests pass with the
// headers, the one past the limit is refused without reaching the provider, Bob is not
// limited, and the next hour Alice passes again.
func TestRateLimitLab6(t *testing.T) {
	h, clk := rateLimitedProxy(t, &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{perUserCounter(3)}}, nil)
	body, err := tokens.ReadSeed("manifests/request.json")
	require.NoError(t, err)
	alice, bob := tokens.Alice(t), tokens.Bob(t)
	for i := range 3 {
		resp, got := h.do(http.MethodPost, "/openai", alice, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, got)
		require.Equal(t, "3, 3;w=3600", resp.Header.Get("X-Ratelimit-Limit"))
		require.Equal(t, []string{string(rune('2' - i))}, resp.Header.Values("X-Ratelimit-Remaining"))
		require.Equal(t, "30", resp.Header.Get("X-Ratelimit-Reset"))
		require.Empty(t, resp.Header.Get("X-Envoy-Ratelimited"))
	}
	require.Len(t, h.fake.Requests(), 3)
	resp, got := h.do(http.MethodPost, "/openai", alice, body)
	requireLimited(t, resp, got, "3, 3;w=3600")
	require.Len(t, h.fake.Requests(), 3, "the provider is not called once over")

	resp, got = h.do(http.MethodPost, "/openai", bob, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, "2", resp.Header.Get("X-Ratelimit-Remaining"))

	clk.Advance(30 * time.Second)
	resp, got = h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, "3600", resp.Header.Get("X-Ratelimit-Reset"))
	require.Len(t, h.fake.Requests(), 5)

	require.Contains(t, h.access.String(), `"decision":"rate_limited","reason":"gloo-system/per-user-counter"`)
	m := h.metrics()
	require.Contains(t, m, `claimgate_proxy_requests_total{decision="rate_limited",reason="gloo-system/per-user-counter",route="`+openaiRoute+`",status="429"} 1`)
	require.Contains(t, m, `claimgate_proxy_rate_limit_decisions_total{descriptor="user-id",policy="gloo-system/per-user-counter",result="over",stage="regular"} 1`)
	require.Contains(t, m, `claimgate_proxy_rate_limit_decisions_total{descriptor="user-id",policy="gloo-system/per-user-counter",result="allowed",stage="regular"} 5`)
}

// TestRateLimitByHeaders: regular limits by a request header and by a claimsToHeaders
// header; the claim header counts the verified claim whatever the client sends, and
// the answer's headers describe the most constraining limit.
func TestRateLimitByHeaders(t *testing.T) {
	limits := &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{
		limitBy("ns/per-tenant", "tenant", 5, byHeader("x-tenant", "tenant")),
		limitBy("ns/per-user", "user", 2, byHeader("x-user", "user")),
	}}
	h, _ := rateLimitedProxy(t, limits, func(s *snapshotv1.Snapshot) {
		s.JwtProviders[0].ClaimsToHeaders = []*snapshotv1.ClaimToHeader{{Claim: "sub", Header: "x-user"}}
	})
	alice, bob := tokens.Alice(t), tokens.Bob(t)
	send := func(token, tenant, user string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(`{"model":"gpt-3.5-turbo","messages":[]}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Tenant", tenant)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		readAll(t, resp)
		resp.Body.Close()
		return resp
	}
	resp := send(alice, "acme", "mallory")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "2, 5;w=60, 2;w=60", resp.Header.Get("X-Ratelimit-Limit"))
	require.Equal(t, "1", resp.Header.Get("X-Ratelimit-Remaining"))
	require.Equal(t, "alice", h.fake.Requests()[0].Header.Get("X-User"))
	require.Equal(t, http.StatusOK, send(alice, "acme", "bob").StatusCode)
	resp = send(alice, "acme", "")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "alice, whatever X-User she sends")
	require.Equal(t, "2, 5;w=60, 2;w=60", resp.Header.Get("X-Ratelimit-Limit"))

	require.Equal(t, http.StatusOK, send(bob, "acme", "alice").StatusCode)
	require.Equal(t, http.StatusOK, send(bob, "acme", "").StatusCode)
	resp = send(bob, "acme", "")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the tenant's 5 are used")
	require.Equal(t, "5, 5;w=60, 2;w=60", resp.Header.Get("X-Ratelimit-Limit"), "the tenant is the one with none left")
	require.Len(t, h.fake.Requests(), 4)
}

// TestEarlyRateLimit: an early limit runs before authentication: requests without a
// token are counted (401 while under), and once over are answered 429, not 401; a valid
// token does not escape it.
func TestEarlyRateLimit(t *testing.T) {
	limits := &snapshotv1.RateLimits{Early: []*snapshotv1.RateLimitPolicy{
		limitBy("ns/per-ip", "remote_address", 2, &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}}),
	}, Regular: []*snapshotv1.RateLimitPolicy{perUserCounter(70)}}
	h, _ := rateLimitedProxy(t, limits, nil)
	resp, got := h.do(http.MethodPost, "/openai", "", "{}")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, got)
	require.Equal(t, "2, 2;w=60", resp.Header.Get("X-Ratelimit-Limit"), "the early stage's headers")
	require.Equal(t, "1", resp.Header.Get("X-Ratelimit-Remaining"))

	resp, got = h.do(http.MethodPost, "/openai", tokens.Alice(t), `{"model":"gpt-3.5-turbo","messages":[]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, "2, 2;w=60, 70;w=3600", resp.Header.Get("X-Ratelimit-Limit"), "both stages")
	require.Equal(t, "0", resp.Header.Get("X-Ratelimit-Remaining"))

	resp, got = h.do(http.MethodPost, "/openai", "", "{}")
	requireLimited(t, resp, got, "2, 2;w=60")
	resp, got = h.do(http.MethodPost, "/openai", tokens.Alice(t), "{}")
	requireLimited(t, resp, got, "2, 2;w=60")
	require.Len(t, h.fake.Requests(), 1)
	m := h.metrics()
	require.Contains(t, m, `claimgate_proxy_rate_limit_decisions_total{descriptor="remote_address",policy="ns/per-ip",result="over",stage="early"} 2`)
	require.Contains(t, m, `claimgate_proxy_rate_limit_decisions_total{descriptor="user-id",policy="gloo-system/per-user-counter",result="allowed",stage="regular"} 1`)
}

// TestInvalidRateLimitIsRefused: a snapshot with an invalid policy is rejected, naming
// the route and the policy, and the last good one keeps serving.
func TestInvalidRateLimitIsRefused(t *testing.T) {
	h, _ := rateLimitedProxy(t, nil, nil)
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	bad := perUserCounter(3)
	bad.Descriptors[0].Limit.Unit = snapshotv1.RateLimitUnit_RATE_LIMIT_UNIT_UNSPECIFIED
	s.Listeners[0].VirtualHosts[0].Routes[0].RateLimits = &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{bad}}
	require.NoError(t, snapshotv1.SetVersion(s))
	err := h.srv.Validate(s)
	require.ErrorContains(t, err, "route "+openaiRoute+": rate_limits.regular[0] (gloo-system/per-user-counter): descriptors[0]: limit: unit")
}

// TestRateLimitedHeaderSpellings: a client spelling the limited header in any case, or
// sending it twice, is counted under its (first) value; an underscore spelling is
// another header, dropped before the limits run.
func TestRateLimitedHeaderSpellings(t *testing.T) {
	hp := newHardenedProxy(t)
	s := hardened(t, hp.port, hp.backend, hp.key)
	open := s.Listeners[0].VirtualHosts[0].Routes[5]
	open.RateLimits = &snapshotv1.RateLimits{Early: []*snapshotv1.RateLimitPolicy{limitBy("ns/per-key", "api_key", 2, byHeader("X-Api-Key", "api_key"))}}
	hp.apply(s, false)
	status := func(headers string) int {
		c := hp.dialRaw()
		c.send("GET /other HTTP/1.1\r\nHost: gw\r\n" + headers + "\r\n")
		resp, _ := c.read()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, status("x-api-key: k1\r\n"))
	require.Equal(t, http.StatusOK, status("X-API-KEY:k1 \r\n"))
	require.Equal(t, http.StatusTooManyRequests, status("X-aPi-KeY:  k1\r\n"))
	require.Equal(t, http.StatusTooManyRequests, status("x-api-key: k1\r\nX-Api-Key: k2\r\n"), "the first value counts")
	require.Equal(t, http.StatusOK, status("X-Api-Key: k2\r\nx-api-key: k1\r\n"))
	require.Equal(t, http.StatusOK, status("X_Api_Key: k1\r\n"), "no X-Api-Key: no descriptor")
	seen := hp.backend.take()
	require.Len(t, seen, 4)
	require.Empty(t, seen[3].firstHeader("X_Api_Key"))
}
