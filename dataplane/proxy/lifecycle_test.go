package proxy_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

func TestNotReadyBeforeFirstSnapshot(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	resp, body := h.do(http.MethodPost, "/openai", "", "{}")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "no configuration yet", body)
	ready, err := http.Get(h.admin.URL + "/readyz")
	require.NoError(t, err)
	ready.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, ready.StatusCode)
	health, err := http.Get(h.admin.URL + "/healthz")
	require.NoError(t, err)
	health.Body.Close()
	require.Equal(t, http.StatusOK, health.StatusCode)

	h.apply(tutorial(t, h.port, h.fake.HostPort(), false, false), false)
	ready, err = http.Get(h.admin.URL + "/readyz")
	require.NoError(t, err)
	ready.Body.Close()
	require.Equal(t, http.StatusOK, ready.StatusCode)
	resp, _ = h.do(http.MethodPost, "/openai", "", "{}")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestRoutingAnswers(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	vh := s.Listeners[0].VirtualHosts[0]
	vh.Domains = []string{"gw.example.com", "*.example.com"}
	vh.Routes = append(vh.Routes,
		&snapshotv1.Route{Name: "no-backend", Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/broken"}}},
		&snapshotv1.Route{
			Name: "zero-weight", Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/zero"}},
			Backends: []*snapshotv1.WeightedBackend{{Upstream: openaiUpstream, Weight: 0}},
		},
		&snapshotv1.Route{
			Name: "direct", Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/teapot"}},
			DirectResponse: &snapshotv1.DirectResponse{Status: 418, Body: "short and stout"},
			Filters: []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_ResponseHeaders{ResponseHeaders: &snapshotv1.HeaderModifier{
				Set: []*snapshotv1.Header{{Name: "x-served-by", Value: "claimgate"}},
			}}}},
		},
		&snapshotv1.Route{
			Name: "redirect", Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/old"}},
			Filters: []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_RequestRedirect{RequestRedirect: &snapshotv1.RequestRedirect{
				Scheme: "https", Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_PREFIX_MATCH, Value: "/new"}, StatusCode: 301,
			}}}},
		},
		&snapshotv1.Route{
			Name: "models", Match: &snapshotv1.RouteMatch{Method: "GET", Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/v1"}},
			Backends: []*snapshotv1.WeightedBackend{{Upstream: openaiUpstream, Weight: 1}},
		},
	)
	h.apply(s, false)

	tests := map[string]struct {
		method, path, host string
		wantStatus         int
		wantBody           string
		wantHeader         [2]string
	}{
		"exact domain":              {method: "POST", path: "/openai", host: "gw.example.com", wantStatus: 200},
		"wildcard domain with port": {method: "POST", path: "/openai/x", host: "a.b.example.com:8080", wantStatus: 200},
		"unknown host":              {method: "POST", path: "/openai", host: "other.org", wantStatus: 404, wantBody: "route not found"},
		"prefix is by segment":      {method: "POST", path: "/openaix", host: "gw.example.com", wantStatus: 404, wantBody: "route not found"},
		"no backends":               {method: "GET", path: "/broken", host: "gw.example.com", wantStatus: 500, wantBody: "route has no backend"},
		"only zero weights":         {method: "GET", path: "/zero", host: "gw.example.com", wantStatus: 500, wantBody: "route has no backend"},
		"direct response":           {method: "GET", path: "/teapot", host: "gw.example.com", wantStatus: 418, wantBody: "short and stout", wantHeader: [2]string{"X-Served-By", "claimgate"}},
		"redirect":                  {method: "GET", path: "/old/page?q=1", host: "gw.example.com:8080", wantStatus: 301, wantHeader: [2]string{"Location", "https://gw.example.com/new/page?q=1"}},
		"method match":              {method: "GET", path: "/v1/models", host: "gw.example.com", wantStatus: 200, wantBody: `"object":"list"`},
		"method mismatch":           {method: "DELETE", path: "/v1/models", host: "gw.example.com", wantStatus: 404},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, h.base+tc.path, strings.NewReader(`{"model":"m"}`))
			require.NoError(t, err)
			req.Host = tc.host
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b := readAll(t, resp)
			require.Equal(t, tc.wantStatus, resp.StatusCode, b)
			require.Contains(t, b, tc.wantBody)
			if tc.wantHeader[0] != "" {
				require.Equal(t, tc.wantHeader[1], resp.Header.Get(tc.wantHeader[0]))
			}
		})
	}
}

func TestBadSnapshotKeepsTheLastGoodOne(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	good := tutorial(t, h.port, h.fake.HostPort(), true, true)
	h.apply(good, false)

	bad := map[string]func(s *snapshotv1.Snapshot){
		"bad regex": func(s *snapshotv1.Snapshot) {
			s.Listeners[0].VirtualHosts[0].Routes[0].Match.Path = &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "("}
		},
		"unknown upstream": func(s *snapshotv1.Snapshot) {
			s.Listeners[0].VirtualHosts[0].Routes[0].Backends[0].Upstream = "upstream:nowhere/none"
		},
		"unknown provider": func(s *snapshotv1.Snapshot) {
			s.Listeners[0].VirtualHosts[0].Routes[0].Jwt = jwtOf("gloo-system/none/none")
		},
		"https without certificate": func(s *snapshotv1.Snapshot) { s.Listeners[0].Protocol = snapshotv1.Protocol_HTTPS },
	}
	rejections := 0
	for name, mutate := range bad {
		s := tutorial(t, h.port, h.fake.HostPort(), true, true)
		mutate(s)
		require.NoError(t, snapshotv1.SetVersion(s))
		h.writeFile(s, false)
		rejections++
		want := "claimgate_proxy_snapshot_rejections_total " + string(rune('0'+rejections))
		require.Eventually(t, func() bool { return strings.Contains(h.metrics(), want) }, 5*time.Second, 10*time.Millisecond, name)
		require.Equal(t, good.GetVersion(), h.srv.Version(), name)
		resp, body := h.do(http.MethodPost, "/openai", "", "{}")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %s", name, body)
	}
	// A file that does not even decode is skipped as well, once the file source has read it.
	h.writeRaw([]byte("{not json"))
	decoded := `claimgate_proxy_snapshot_file_errors_total{reason="decode"} 1`
	require.Eventually(t, func() bool { return strings.Contains(h.metrics(), decoded) }, 5*time.Second, 10*time.Millisecond,
		"the file source never read the undecodable file")
	require.Equal(t, good.GetVersion(), h.srv.Version())
	resp, body := h.do(http.MethodPost, "/openai", "", "{}")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
}

func TestListenersFollowTheSnapshot(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(tutorial(t, h.port, h.fake.HostPort(), false, false), false)
	second := h.applyOnFreshPort(func(port uint32) *snapshotv1.Snapshot {
		s := tutorial(t, port, h.fake.HostPort(), false, false)
		s.Listeners[0].Name = "moved"
		return s
	})

	resp, err := http.Post("http://127.0.0.1:"+itoa(second)+"/openai", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool {
		resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the old port keeps listening")
}

// TestDotSegmentsCannotSkipAuthentication: "/public/../openai" is the protected route.
func TestDotSegmentsCannotSkipAuthentication(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	vh := s.Listeners[0].VirtualHosts[0]
	vh.Routes = append(vh.Routes, &snapshotv1.Route{
		Name:           "public",
		Match:          &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/public"}},
		DirectResponse: &snapshotv1.DirectResponse{Status: 200, Body: "public"},
	})
	h.apply(s, false)
	for _, p := range []string{"/public/../openai", "/public/%2e%2e/openai"} {
		resp, body := h.do(http.MethodPost, p, "", "{}")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %s", p, body)
		require.Equal(t, `Bearer realm="`+h.base+`/openai"`, resp.Header.Get("Www-Authenticate"), p)
	}
	resp, body := h.do(http.MethodGet, "/public/x", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "public", body)
}
