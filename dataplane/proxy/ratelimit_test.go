package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/authz"
)

// tokenRoute compiles a snapshot whose one route has a token budget of 100 an hour per
// sub, and returns the server and the route.
func tokenRoute(t *testing.T, now func() time.Time) (*Server, *route) {
	t.Helper()
	srv, err := New(Config{Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Logger: logr.Discard(), Now: now})
	require.NoError(t, err)
	budget := &snapshotv1.RateLimitPolicy{
		Name: "ns/budget", Tokens: true,
		Descriptors: []*snapshotv1.RateLimitDescriptor{{Key: "sub", Limit: &snapshotv1.RateLimit{RequestsPerUnit: 100, Unit: snapshotv1.RateLimitUnit_HOUR}}},
		Actions: []*snapshotv1.RateLimitActions{{Actions: []*snapshotv1.RateLimitAction{{Kind: &snapshotv1.RateLimitAction_Claim{
			Claim: &snapshotv1.ClaimAction{DescriptorKey: "sub", Path: []string{"sub"}},
		}}}}},
	}
	snap := &snapshotv1.Snapshot{
		Version: "v1", GatewayNamespace: "ns", GatewayName: "gw",
		Listeners: []*snapshotv1.Listener{{Name: "http", Port: 8080, Protocol: snapshotv1.Protocol_HTTP, VirtualHosts: []*snapshotv1.VirtualHost{{
			Name: "any", Domains: []string{"*"}, Routes: []*snapshotv1.Route{{
				Name: "llm", Backends: []*snapshotv1.WeightedBackend{{Upstream: "up", Weight: 1}},
				RateLimits: &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{budget}},
			}},
		}}}},
		Upstreams: []*snapshotv1.Upstream{{Name: "up", Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
			Endpoints: []*snapshotv1.Endpoint{{Host: "127.0.0.1", Port: 9}},
		}}}},
	}
	tbl, err := srv.compile(snap)
	require.NoError(t, err)
	rt := tbl.ports[8080].route(httptest.NewRequest(http.MethodPost, "http://gw/v1/chat/completions", nil))
	require.NotNil(t, rt)
	return srv, rt
}

// TestChargeTokens: the tokens chargeTokens adds count against the budget of the
// request's owner; a window at its limit refuses the next request, and a refused
// request charges nothing.
func TestChargeTokens(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	srv, rt := tokenRoute(t, func() time.Time { return now })
	alice := []authz.Token{{Provider: "p", Claims: map[string]any{"sub": "alice"}}}
	bob := []authz.Token{{Provider: "p", Claims: map[string]any{"sub": "bob"}}}
	// serve runs the regular stage of one request, then charges n tokens as the usage
	// metering does when the answer ends.
	serve := func(toks []authz.Token, n int64) (int, http.Header) {
		rec := httptest.NewRecorder()
		rw := newResponseWriter(rec)
		defer rw.release()
		r := httptest.NewRequest(http.MethodPost, "http://gw/v1/chat/completions", nil)
		if srv.rateLimit(rw, r, rt, false, toks, nil) {
			require.NoError(t, chargeTokens(rw, n))
			return rec.Code, rec.Header()
		}
		require.NoError(t, chargeTokens(rw, n))
		return http.StatusOK, rw.Header()
	}
	code, h := serve(alice, 60)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "100", h.Get("X-Ratelimit-Remaining"), "the check charges nothing")
	code, h = serve(alice, 50)
	require.Equal(t, http.StatusOK, code, "60 of 100 used")
	require.Equal(t, "40", h.Get("X-Ratelimit-Remaining"))
	code, h = serve(alice, 10)
	require.Equal(t, http.StatusTooManyRequests, code, "110 of 100")
	require.Equal(t, "true", h.Get("X-Envoy-Ratelimited"))
	code, _ = serve(bob, 0)
	require.Equal(t, http.StatusOK, code)
	code, h = serve(bob, -5)
	require.Equal(t, http.StatusOK, code, "nothing charged")
	require.Equal(t, "100", h.Get("X-Ratelimit-Remaining"))

	now = now.Add(time.Hour)
	code, _ = serve(alice, 0)
	require.Equal(t, http.StatusOK, code, "a new hour")

	// A request on a route without limits has nothing to charge.
	rw := newResponseWriter(httptest.NewRecorder())
	defer rw.release()
	require.NoError(t, chargeTokens(rw, 10))
}
