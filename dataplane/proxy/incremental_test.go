package proxy_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// routesMetric reads claimgate_proxy_snapshot_routes_total{how}.
func routesMetric(t *testing.T, metrics, how string) int {
	t.Helper()
	m := regexp.MustCompile(`claimgate_proxy_snapshot_routes_total\{how="` + how + `"\} (\d+)`).FindStringSubmatch(metrics)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// withDirectRoutes is the tutorial's snapshot with direct-response routes /a and /b
// answering bodyA and bodyB, before the tutorial's route.
func withDirectRoutes(t *testing.T, h *harness, bodyA, bodyB string) *snapshotv1.Snapshot {
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	vh := s.Listeners[0].VirtualHosts[0]
	direct := func(path, body string) *snapshotv1.Route {
		return &snapshotv1.Route{
			Name:           "direct" + path,
			Match:          &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: path}},
			DirectResponse: &snapshotv1.DirectResponse{Status: 200, Body: body},
		}
	}
	vh.Routes = append([]*snapshotv1.Route{direct("/a", bodyA), direct("/b", bodyB)}, vh.Routes...)
	return s
}

// TestUnchangedRoutesKeepTheirCompile: a new snapshot compiles only the routes whose
// encoding changed; when an upstream changes every route is compiled again, so none
// keeps sending to the upstream as it was.
func TestUnchangedRoutesKeepTheirCompile(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(withDirectRoutes(t, h, "a1", "b1"), false)
	compiled, reused := routesMetric(t, h.metrics(), "compiled"), routesMetric(t, h.metrics(), "reused")

	h.apply(withDirectRoutes(t, h, "a1", "b2"), false)
	m := h.metrics()
	require.Equal(t, 1, routesMetric(t, m, "compiled")-compiled, "only /b changed")
	require.Equal(t, 2, routesMetric(t, m, "reused")-reused)
	for path, want := range map[string]string{"/a": "a1", "/b": "b2"} {
		resp, body := h.do(http.MethodGet, path, "", "")
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Equal(t, want, body, path)
	}
	resp, _ := h.do(http.MethodPost, "/openai", "", `{"model":"gpt-4o"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	s := withDirectRoutes(t, h, "a1", "b2")
	up := s.Upstreams[0].GetLlm()
	up.AuthToken = "sk-rotated-key"
	compiled, reused = routesMetric(t, m, "compiled"), routesMetric(t, m, "reused")
	h.apply(s, false)
	m = h.metrics()
	require.Equal(t, 3, routesMetric(t, m, "compiled")-compiled, "the upstream changed: every route is compiled")
	require.Equal(t, 0, routesMetric(t, m, "reused")-reused)
	resp, _ = h.do(http.MethodPost, "/openai", "", `{"model":"gpt-4o"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	last, ok := h.fake.Last()
	require.True(t, ok)
	require.Equal(t, "Bearer sk-rotated-key", last.Header.Get("Authorization"), "the route sends the new key")
}

// manyRoutes is how many routes manyDirectRoutes writes: enough to be indexed.
const manyRoutes = 40

// manyDirectRoutes is a snapshot of manyRoutes direct-response routes /r<i> answering "r<i>",
// route moved matching moveTo instead, route changed answering changedBody, and the
// route /new first when withNew.
func manyDirectRoutes(t *testing.T, port uint32, moved int, moveTo string, changed int, changedBody string, withNew bool) *snapshotv1.Snapshot {
	t.Helper()
	var routes []*snapshotv1.Route
	direct := func(name, path, body string) *snapshotv1.Route {
		return &snapshotv1.Route{
			Name:           name,
			Match:          &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: path}},
			DirectResponse: &snapshotv1.DirectResponse{Status: 200, Body: body},
		}
	}
	if withNew {
		routes = append(routes, direct("new", "/new", "new"))
	}
	for i := range manyRoutes {
		name := "r" + strconv.Itoa(i)
		path, body := "/"+name, name
		if i == moved {
			path = moveTo
		}
		if i == changed {
			body = changedBody
		}
		routes = append(routes, direct(name, path, body))
	}
	return &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{
			Name: "http", Port: port, Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{Name: "http~*", Domains: []string{"*"}, Routes: routes}},
		}},
	}
}

// TestIndexedRoutesAfterChanges: in a virtual host large enough to be indexed, a
// route whose answer changed, a route inserted before all others and a route moved to
// another path are each compiled alone, and every path is served by its route.
func TestIndexedRoutesAfterChanges(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	steps := []struct {
		name    string
		snap    *snapshotv1.Snapshot
		serves  map[string]string
		missing string
	}{
		{"first", manyDirectRoutes(t, h.port, -1, "", -1, "", false), map[string]string{"/r0": "r0", "/r39/x": "r39"}, "/new"},
		{"an answer changed", manyDirectRoutes(t, h.port, -1, "", 7, "seven", false), map[string]string{"/r7": "seven", "/r8": "r8"}, "/new"},
		{"a route inserted first", manyDirectRoutes(t, h.port, -1, "", 7, "seven", true), map[string]string{"/new": "new", "/r7": "seven", "/r39": "r39"}, "/r40"},
		{"a route moved", manyDirectRoutes(t, h.port, 12, "/moved", 7, "seven", true), map[string]string{"/moved": "r12", "/r13": "r13", "/new": "new"}, "/r12"},
	}
	for i, st := range steps {
		before := routesMetric(t, h.metrics(), "compiled")
		h.apply(st.snap, false)
		if i > 0 {
			require.Equal(t, 1, routesMetric(t, h.metrics(), "compiled")-before, st.name)
		}
		for path, want := range st.serves {
			resp, body := h.do(http.MethodGet, path, "", "")
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", st.name, path)
			require.Equal(t, want, body, "%s: %s", st.name, path)
		}
		resp, _ := h.do(http.MethodGet, st.missing, "", "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "%s: %s", st.name, st.missing)
	}
}

// TestIndexedRoutesRawPaths: request lines no HTTP client would send reach the route of
// an indexed virtual host that the path, once made canonical, names; a path that only
// looks like a route's is not found.
func TestIndexedRoutesRawPaths(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(manyDirectRoutes(t, h.port, -1, "", -1, "", false), false)
	addr := strings.TrimPrefix(h.base, "http://")
	tests := []struct {
		uri    string
		status int
		body   string
	}{
		{"/r7", http.StatusOK, "r7"},
		{"/r7/", http.StatusOK, "r7"},
		{"/r7/deeper/still?q=/r8", http.StatusOK, "r7"},
		{"//r7", http.StatusOK, "r7"},
		{"/r1/../r7", http.StatusOK, "r7"},
		{"/r1\\..\\r7", http.StatusOK, "r7"},
		{"/./r39/.", http.StatusOK, "r39"},
		{"http://gw/r12", http.StatusOK, "r12"},
		{"/r70", http.StatusNotFound, "route not found"},
		{"/R7", http.StatusNotFound, "route not found"},
		{"/r", http.StatusNotFound, "route not found"},
		{"/r7%00", http.StatusBadRequest, "request path contains a NUL or control character"},
	}
	for _, tc := range tests {
		status, body := rawGet(t, addr, tc.uri)
		require.Equal(t, tc.status, status, "%s: %s", tc.uri, body)
		require.Equal(t, tc.body, body, tc.uri)
	}
}
