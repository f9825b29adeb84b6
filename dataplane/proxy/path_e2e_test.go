package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// uriRecorder is an upstream that keeps the request URIs it received, as they were on
// the wire.
type uriRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	uris []string
}

func newURIRecorder(t *testing.T) *uriRecorder {
	t.Helper()
	u := &uriRecorder{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.uris = append(u.uris, r.RequestURI)
		u.mu.Unlock()
		_, _ = io.WriteString(w, "upstream")
	}))
	t.Cleanup(u.Close)
	return u
}

// take returns the URIs received since the last call.
func (u *uriRecorder) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.uris
	u.uris = nil
	return out
}

// adminAndOpen is a snapshot with a route "/admin" that RBAC refuses to anonymous
// requests and a route "/" open to all, both to the recorder.
func adminAndOpen(t *testing.T, port uint32, rec *uriRecorder) *snapshotv1.Snapshot {
	t.Helper()
	route := func(name, prefix string) *snapshotv1.Route {
		return &snapshotv1.Route{
			Name:     name,
			Match:    &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: prefix}},
			Backends: []*snapshotv1.WeightedBackend{{Upstream: "recorder", Weight: 1}},
		}
	}
	admin := route("admin", "/admin")
	admin.Rbac = tutorialRbac()
	return &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{
			Name: "http", Port: port, Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{
				Name: "http~*", Domains: []string{"*"},
				Routes: []*snapshotv1.Route{admin, route("open", "/")},
			}},
		}},
		Upstreams: []*snapshotv1.Upstream{{Name: "recorder", Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
			Endpoints: []*snapshotv1.Endpoint{{Host: "127.0.0.1", Port: portOf(t, rec.URL)}},
		}}}},
	}
}

// TestOnePathForRoutingAuthorizationAndForwarding: spellings of "/admin" that a backend
// would read as "/admin" are routed and authorized as "/admin", and a path routed to the
// open route reaches the upstream as the segment that was matched.
func TestOnePathForRoutingAuthorizationAndForwarding(t *testing.T) {
	rec := newURIRecorder(t)
	h := newHarness(t, fakellm.Config{})
	h.apply(adminAndOpen(t, h.port, rec), false)

	for _, p := range []string{"/admin", "/public/..%2Fadmin", "/public/%2e%2e/admin", "/%5Cadmin", "//admin", "/%2Fadmin/x", "/admin/..;/x"} {
		resp, body := h.do(http.MethodGet, p, "", "")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s: %s", p, body)
		require.Empty(t, rec.take(), "%s reached the upstream", p)
	}
	forwarded := map[string]string{
		"/admin;x":                 "/admin%3Bx",
		"/admin%3Bx?q=%2F..&r=%3B": "/admin%3Bx?q=%2F..&r=%3B",
		"/public/x":                "/public/x",
		"/public/..;/admin":        "/public/..%3B/admin",
		"/caf%C3%A9":               "/caf%C3%A9",
	}
	for p, want := range forwarded {
		resp, body := h.do(http.MethodGet, p, "", "")
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", p, body)
		require.Equal(t, []string{want}, rec.take(), p)
	}
}

// TestRawRequestPaths: request lines no HTTP client would send. A backslash counts as a
// slash; NUL and overlong UTF-8 are refused with 400 and logged like any answer.
func TestRawRequestPaths(t *testing.T) {
	rec := newURIRecorder(t)
	h := newHarness(t, fakellm.Config{})
	h.apply(adminAndOpen(t, h.port, rec), false)
	addr := strings.TrimPrefix(h.base, "http://")

	tests := []struct {
		uri    string
		status int
		body   string
	}{
		{"/\\admin", http.StatusForbidden, "RBAC: access denied"},
		{"/admin\\x", http.StatusForbidden, "RBAC: access denied"},
		{"/public\\..\\admin", http.StatusForbidden, "RBAC: access denied"},
		{"/a%00b", http.StatusBadRequest, "request path contains a NUL or control character"},
		{"/admin%00", http.StatusBadRequest, "request path contains a NUL or control character"},
		{"/%C0%AE%C0%AE/admin", http.StatusBadRequest, "request path is not valid UTF-8"},
	}
	for _, tc := range tests {
		status, body := rawGet(t, addr, tc.uri)
		require.Equal(t, tc.status, status, "%s: %s", tc.uri, body)
		require.Equal(t, tc.body, body, tc.uri)
		require.Empty(t, rec.take(), "%s reached the upstream", tc.uri)
	}
	require.Eventually(t, func() bool {
		return strings.Contains(h.access.String(), `"path":"/a%00b"`) &&
			strings.Contains(h.access.String(), `"status":400,"decision":"bad_request"`)
	}, 5*time.Second, 10*time.Millisecond, "the refused path is not in the access log:\n%s", h.access.String())
}

// rawGet sends "GET uri HTTP/1.1" as written and returns the answer's status and body.
func rawGet(t *testing.T, addr, uri string) (int, string) {
	t.Helper()
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(t.Context(), "tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(conn, "GET "+uri+" HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, strings.TrimSpace(readAll(t, resp))
}
