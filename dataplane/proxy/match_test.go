package proxy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func prefix(v string) *snapshotv1.PathMatch {
	return &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: v}
}

func TestRouteMatch(t *testing.T) {
	tests := map[string]struct {
		match  *snapshotv1.RouteMatch
		method string
		target string
		header http.Header
		want   bool
	}{
		"no match fields match all":         {match: nil, target: "/anything", want: true},
		"prefix equal":                      {match: &snapshotv1.RouteMatch{Path: prefix("/openai")}, target: "/openai", want: true},
		"prefix segment":                    {match: &snapshotv1.RouteMatch{Path: prefix("/openai")}, target: "/openai/v1", want: true},
		"prefix not a segment":              {match: &snapshotv1.RouteMatch{Path: prefix("/openai")}, target: "/openaiv1", want: false},
		"prefix trailing slash":             {match: &snapshotv1.RouteMatch{Path: prefix("/openai/")}, target: "/openai", want: true},
		"root prefix":                       {match: &snapshotv1.RouteMatch{Path: prefix("/")}, target: "/x", want: true},
		"exact":                             {match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/a"}}, target: "/a", want: true},
		"exact is not a prefix":             {match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/a"}}, target: "/a/b", want: false},
		"regex whole match":                 {match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "/v[0-9]+/chat"}}, target: "/v1/chat", want: true},
		"regex must match whole path":       {match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "/v[0-9]+"}}, target: "/v1/chat", want: false},
		"method":                            {match: &snapshotv1.RouteMatch{Method: "POST"}, method: "GET", target: "/", want: false},
		"header exact, any case name":       {match: &snapshotv1.RouteMatch{Headers: []*snapshotv1.ValueMatch{{Name: "x-team", Value: "dev"}}}, target: "/", header: http.Header{"X-Team": {"dev"}}, want: true},
		"header missing":                    {match: &snapshotv1.RouteMatch{Headers: []*snapshotv1.ValueMatch{{Name: "x-team", Value: "dev"}}}, target: "/", want: false},
		"header regex":                      {match: &snapshotv1.RouteMatch{Headers: []*snapshotv1.ValueMatch{{Name: "x-team", Type: snapshotv1.ValueMatchType_VALUE_REGULAR_EXPRESSION, Value: "d.v"}}}, target: "/", header: http.Header{"X-Team": {"dev"}}, want: true},
		"header repeated values are joined": {match: &snapshotv1.RouteMatch{Headers: []*snapshotv1.ValueMatch{{Name: "x-team", Value: "dev"}}}, target: "/", header: http.Header{"X-Team": {"dev", "ops"}}, want: false},
		"query exact":                       {match: &snapshotv1.RouteMatch{QueryParams: []*snapshotv1.ValueMatch{{Name: "v", Value: "2"}}}, target: "/?v=2", want: true},
		"query first value counts":          {match: &snapshotv1.RouteMatch{QueryParams: []*snapshotv1.ValueMatch{{Name: "v", Value: "2"}}}, target: "/?v=1&v=2", want: false},
		"query name is case-sensitive":      {match: &snapshotv1.RouteMatch{QueryParams: []*snapshotv1.ValueMatch{{Name: "v", Value: "2"}}}, target: "/?V=2", want: false},
		"every part must match":             {match: &snapshotv1.RouteMatch{Path: prefix("/a"), Method: "GET", QueryParams: []*snapshotv1.ValueMatch{{Name: "v", Value: "2"}}}, target: "/a?v=3", want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := compileMatch(tc.match)
			require.NoError(t, err)
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			r := httptest.NewRequest(method, tc.target, nil)
			for k, v := range tc.header {
				r.Header[k] = v
			}
			var q url.Values
			require.Equal(t, tc.want, m.matches(r, &q))
		})
	}
}

func TestCompileMatchErrors(t *testing.T) {
	tests := map[string]*snapshotv1.RouteMatch{
		"bad path regex":   {Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "("}},
		"relative prefix":  {Path: prefix("openai")},
		"bad header regex": {Headers: []*snapshotv1.ValueMatch{{Name: "a", Type: snapshotv1.ValueMatchType_VALUE_REGULAR_EXPRESSION, Value: "["}}},
		"bad query regex":  {QueryParams: []*snapshotv1.ValueMatch{{Name: "a", Type: snapshotv1.ValueMatchType_VALUE_REGULAR_EXPRESSION, Value: "["}}},
		// Wrapped for a whole match it would parse, and match any path starting "/a".
		"regex escaping its anchors": {Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "/a)|(/b"}},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileMatch(m)
			require.Error(t, err)
		})
	}
}

// TestFirstMatchingRouteWins: routes are tried in snapshot order, within the virtual host
// picked by the Host header (exact, then longest wildcard, then "*").
func TestFirstMatchingRouteWins(t *testing.T) {
	mk := func(name string, m *snapshotv1.RouteMatch) *snapshotv1.Route {
		return &snapshotv1.Route{Name: name, Match: m}
	}
	snap := &snapshotv1.Snapshot{Version: "v", Listeners: []*snapshotv1.Listener{{
		Name: "http", Port: 1, Protocol: snapshotv1.Protocol_HTTP,
		VirtualHosts: []*snapshotv1.VirtualHost{
			{Name: "exact", Domains: []string{"api.example.com"}, Routes: []*snapshotv1.Route{
				mk("exact/with-header", &snapshotv1.RouteMatch{Path: prefix("/v1"), Headers: []*snapshotv1.ValueMatch{{Name: "x-beta", Value: "1"}}}),
				mk("exact/v1", &snapshotv1.RouteMatch{Path: prefix("/v1")}),
				mk("exact/catch-all", nil),
			}},
			{Name: "short-wild", Domains: []string{"*.com"}, Routes: []*snapshotv1.Route{mk("short-wild", nil)}},
			{Name: "long-wild", Domains: []string{"*.example.com"}, Routes: []*snapshotv1.Route{mk("long-wild", nil)}},
			{Name: "any", Domains: []string{"*"}, Routes: []*snapshotv1.Route{mk("any/v1", &snapshotv1.RouteMatch{Path: prefix("/v1")})}},
		},
	}}}
	srv := &Server{cfg: Config{Authenticator: nil}}
	c := &compiler{s: srv, upstreams: map[string]*upstream{}}
	tbl := &table{ports: map[uint32]*portTable{}}
	require.NoError(t, addListener(t, c, tbl, snap.Listeners[0]))

	tests := map[string]struct {
		host, target string
		header       [2]string
		want         string
	}{
		"header route first":           {host: "api.example.com", target: "/v1/x", header: [2]string{"X-Beta", "1"}, want: "exact/with-header"},
		"then the plain prefix":        {host: "api.example.com", target: "/v1/x", want: "exact/v1"},
		"then the catch-all":           {host: "API.example.com:443", target: "/v2", want: "exact/catch-all"},
		"longest wildcard":             {host: "other.example.com", target: "/", want: "long-wild"},
		"shorter wildcard":             {host: "example.com", target: "/", want: "short-wild"},
		"wildcard needs a label":       {host: "org", target: "/v1", want: "any/v1"},
		"no route in the vhost is 404": {host: "org", target: "/v2", want: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			r.Host = tc.host
			if tc.header[0] != "" {
				r.Header.Set(tc.header[0], tc.header[1])
			}
			got := tbl.ports[1].route(r)
			if tc.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, tc.want, got.name)
		})
	}
}

// addListener adds l to tbl as a snapshot's encoding reaches the compiler.
func addListener(t *testing.T, c *compiler, tbl *table, l *snapshotv1.Listener) error {
	t.Helper()
	_, layout, err := encode(&snapshotv1.Snapshot{Version: "v", Listeners: []*snapshotv1.Listener{l}})
	require.NoError(t, err)
	if tbl.vhosts == nil {
		tbl.vhosts = map[string]*vhost{}
	}
	return c.addListener(tbl, &layout.Listeners[0])
}

func TestStripPort(t *testing.T) {
	tests := map[string]string{
		"a.com": "a.com", "a.com:80": "a.com", "[::1]:8080": "::1", "[::1]": "::1", "127.0.0.1:1": "127.0.0.1",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) { require.Equal(t, want, stripPort(in)) })
	}
}

// TestListenersSharingAPort: each listener's hostname bounds its "*" virtual host.
func TestListenersSharingAPort(t *testing.T) {
	listener := func(name, hostname string) *snapshotv1.Listener {
		return &snapshotv1.Listener{
			Name: name, Port: 1, Protocol: snapshotv1.Protocol_HTTP, Hostname: hostname,
			VirtualHosts: []*snapshotv1.VirtualHost{{Name: name, Domains: []string{"*"}, Routes: []*snapshotv1.Route{{Name: name}}}},
		}
	}
	c := &compiler{s: &Server{}, upstreams: map[string]*upstream{}}
	tbl := &table{ports: map[uint32]*portTable{}}
	for _, l := range []*snapshotv1.Listener{listener("a", "a.example.com"), listener("wild", "*.example.com"), listener("rest", "")} {
		require.NoError(t, addListener(t, c, tbl, l))
	}
	tests := map[string]string{"a.example.com": "a", "b.example.com": "wild", "other.org": "rest"}
	for host, want := range tests {
		t.Run(host, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = host
			got := tbl.ports[1].route(r)
			require.NotNil(t, got)
			require.Equal(t, want, got.name)
		})
	}
	https := &snapshotv1.Listener{Name: "tls", Port: 1, Protocol: snapshotv1.Protocol_HTTPS}
	require.ErrorContains(t, addListener(t, c, tbl, https), "conflicts with HTTP on the same port")
}

func TestNormalizePath(t *testing.T) {
	tests := map[string]string{
		"/openai":               "/openai",
		"/public/../admin":      "/admin",
		"/a/./b/":               "/a/b/",
		"/../../etc":            "/etc",
		"/a/%2e%2e/b":           "/b",
		"/a/.well-known/x":      "/a/.well-known/x",
		"/openai/..":            "/",
		"/v1//chat/completions": "/v1/chat/completions",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, in, nil)
			_, err := normalizePath(r.URL)
			require.NoError(t, err)
			require.Equal(t, want, r.URL.Path)
		})
	}
}
