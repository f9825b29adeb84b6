package proxy_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// corsSnapshot is the tutorial with JWT on /openai, an open /open route to the same
// provider, and policy as both routes' CORS policy.
func corsSnapshot(t *testing.T, h *harness, policy *snapshotv1.CorsPolicy) *snapshotv1.Snapshot {
	t.Helper()
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	vh := s.Listeners[0].VirtualHosts[0]
	secured := vh.Routes[0]
	secured.Cors = policy
	open := &snapshotv1.Route{
		Name:     "gloo-system/open/rule/0/match/0",
		Match:    &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/open"}},
		Filters:  secured.Filters,
		Backends: secured.Backends,
		Cors:     policy,
	}
	vh.Routes = append(vh.Routes, open)
	return s
}

func appPolicy() *snapshotv1.CorsPolicy {
	return &snapshotv1.CorsPolicy{
		AllowOrigin:      []string{"https://app.example"},
		AllowOriginRegex: []string{`https://[a-z]+\.trusted\.example`},
		AllowMethods:     []string{"POST", "GET"},
		AllowHeaders:     []string{"authorization", "content-type"},
		ExposeHeaders:    []string{"x-request-id", "x-ratelimit-remaining"},
		MaxAge:           "600",
		AllowCredentials: true,
	}
}

// corsHeaders returns the answer's Access-Control-* headers as "Name: value" lines.
func corsHeaders(resp *http.Response) []string {
	var out []string
	for k, vs := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			for _, v := range vs {
				out = append(out, k+": "+v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestCorsPreflight: the proxy answers preflights from allowed origins itself, before
// JWT authentication, with exactly the configured headers; other preflights are
// forwarded like any request.
func TestCorsPreflight(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(corsSnapshot(t, h, appPolicy()), false)
	answered := func(origin string) []string {
		return []string{
			"Access-Control-Allow-Credentials: true", "Access-Control-Allow-Headers: authorization,content-type",
			"Access-Control-Allow-Methods: POST,GET", "Access-Control-Allow-Origin: " + origin, "Access-Control-Max-Age: 600",
		}
	}
	tests := map[string]struct {
		head       string // the header lines after Host
		wantStatus int
		wantCors   []string
		forwarded  bool
	}{
		"allowed origin, odd spellings": {
			head:       "oRiGiN: https://app.example\r\naccess-control-request-METHOD: POST\r\nAccess-Control-Request-Headers: authorization\r\n",
			wantStatus: 200, wantCors: answered("https://app.example"),
		},
		"origin allowed by regex": {
			head:       "Origin: https://eu.trusted.example\r\nAccess-Control-Request-Method: POST\r\n",
			wantStatus: 200, wantCors: answered("https://eu.trusted.example"),
		},
		"regex matches whole origins only": {
			head:       "Origin: https://eu.trusted.example.evil\r\nAccess-Control-Request-Method: POST\r\n",
			wantStatus: 401,
		},
		"origin not allowed: authentication as usual": {
			head:       "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n",
			wantStatus: 401,
		},
		"two origins are no CORS request": {
			head:       "Origin: https://app.example\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n",
			wantStatus: 401,
		},
		"OPTIONS without a request method is no preflight": {
			head:       "Origin: https://app.example\r\n",
			wantStatus: 401, wantCors: []string{
				"Access-Control-Allow-Credentials: true", "Access-Control-Allow-Origin: https://app.example",
				"Access-Control-Expose-Headers: x-request-id,x-ratelimit-remaining",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h.fake.Reset()
			c := h.dialRaw()
			c.send("OPTIONS /openai/v1 HTTP/1.1\r\nHost: gw\r\n" + tc.head + "\r\n")
			resp, body := c.read()
			require.Equal(t, tc.wantStatus, resp.StatusCode, body)
			require.Equal(t, tc.wantCors, corsHeaders(resp))
			_, reached := h.fake.Last()
			require.False(t, reached, "the provider is never reached without a token")
			if tc.wantStatus == http.StatusOK {
				require.Empty(t, body)
				require.Equal(t, "0", resp.Header.Get("Content-Length"))
				require.Empty(t, resp.Header.Get("Www-Authenticate"))
			}
		})
	}
	require.Contains(t, h.access.String(), `"decision":"cors_preflight"`)

	// On a route without authentication, a preflight from an origin not allowed reaches
	// the upstream, as Envoy forwards it.
	h.fake.Reset()
	c := h.dialRaw()
	c.send("OPTIONS /open HTTP/1.1\r\nHost: gw\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n")
	resp, _ := c.read()
	require.Empty(t, corsHeaders(resp))
	seen, reached := h.fake.Last()
	require.True(t, reached, "forwarded")
	require.Equal(t, http.MethodOptions, seen.Method)
	require.Equal(t, "https://evil.example", seen.Header.Get("Origin"))
}

// TestCorsActualRequests: requests from allowed origins get the CORS headers on their
// answer, the proxy's 401 included; from other origins nothing is added.
func TestCorsActualRequests(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(corsSnapshot(t, h, appPolicy()), false)
	alice := tokens.Alice(t)
	allowed := []string{
		"Access-Control-Allow-Credentials: true", "Access-Control-Allow-Origin: https://app.example",
		"Access-Control-Expose-Headers: x-request-id,x-ratelimit-remaining",
	}
	tests := map[string]struct {
		origin, token string
		wantStatus    int
		wantCors      []string
	}{
		"allowed origin with a token":    {origin: "https://app.example", token: alice, wantStatus: 200, wantCors: allowed},
		"allowed origin without a token": {origin: "https://app.example", wantStatus: 401, wantCors: allowed},
		"origin not allowed":             {origin: "https://evil.example", token: alice, wantStatus: 200},
		"no origin":                      {token: alice, wantStatus: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(`{"model":"m"}`))
			require.NoError(t, err)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body := readAll(t, resp)
			resp.Body.Close()
			require.Equal(t, tc.wantStatus, resp.StatusCode, body)
			require.Equal(t, tc.wantCors, corsHeaders(resp))
		})
	}
}

// TestCorsAnyOrigin: "*" allows every origin; the answer names the request's origin, as
// Envoy's does, and without allow_credentials no credentials header is sent; "*" as
// allow_methods and allow_headers echoes what the preflight asks for.
func TestCorsAnyOrigin(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(corsSnapshot(t, h, &snapshotv1.CorsPolicy{
		AllowOrigin: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"},
	}), false)
	c := h.dialRaw()
	c.send("OPTIONS /openai HTTP/1.1\r\nHost: gw\r\nOrigin: https://anyone.example\r\n" +
		"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-custom, content-type\r\n\r\n")
	resp, _ := c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{
		"Access-Control-Allow-Headers: x-custom, content-type", "Access-Control-Allow-Methods: PUT",
		"Access-Control-Allow-Origin: https://anyone.example",
	}, corsHeaders(resp))

	resp, _ = h.do(http.MethodGet, "/openai", "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Empty(t, corsHeaders(resp), "no Origin, no CORS headers")
}

// TestCorsRejectsSnapshot: an invalid allow_origin_regex rejects the snapshot, naming
// the route.
func TestCorsRejectsSnapshot(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := corsSnapshot(t, h, &snapshotv1.CorsPolicy{AllowOriginRegex: []string{"https://(.*"}})
	require.NoError(t, snapshotv1.SetVersion(s))
	require.ErrorContains(t, h.srv.Apply(s), "route "+openaiRoute+": cors: allow_origin_regex 0:")
}
