package proxy

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func TestPathRewrite(t *testing.T) {
	tests := map[string]struct {
		prefix, value string
		full          bool
		in, want      string
	}{
		"full path":                  {prefix: "/openai", full: true, value: "/v1/chat/completions", in: "/openai/x", want: "/v1/chat/completions"},
		"prefix to prefix":           {prefix: "/foo", value: "/xyz", in: "/foo/bar", want: "/xyz/bar"},
		"prefix to root":             {prefix: "/foo", value: "/", in: "/foo/bar", want: "/bar"},
		"prefix to root, exact path": {prefix: "/foo", value: "/", in: "/foo", want: "/"},
		"trailing slash value":       {prefix: "/foo", value: "/xyz/", in: "/foo/bar", want: "/xyz/bar"},
		"prefix equal to path":       {prefix: "/foo", value: "/xyz", in: "/foo", want: "/xyz"},
		"prefix with trailing slash": {prefix: "/foo/", value: "/xyz", in: "/foo/bar", want: "/xyz/bar"},
		"root prefix prepends":       {prefix: "/", value: "/api", in: "/v1", want: "/api/v1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := compileMatch(&snapshotv1.RouteMatch{Path: prefix(tc.prefix)})
			require.NoError(t, err)
			typ := snapshotv1.PathModifierType_REPLACE_PREFIX_MATCH
			if tc.full {
				typ = snapshotv1.PathModifierType_REPLACE_FULL_PATH
			}
			pm, err := compilePathMod(&snapshotv1.PathModifier{Type: typ, Value: tc.value}, &m)
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodGet, tc.in, nil)
			(&urlRewrite{hostname: "new.example", path: pm}).apply(r)
			require.Equal(t, tc.want, r.URL.Path)
			require.Equal(t, "new.example", r.Host)
		})
	}
}

func TestReplacePrefixNeedsPrefixMatch(t *testing.T) {
	m, err := compileMatch(&snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/a"}})
	require.NoError(t, err)
	_, err = compilePathMod(&snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_PREFIX_MATCH, Value: "/b"}, &m)
	require.ErrorContains(t, err, "needs a PathPrefix match")
}

func TestHeaderModifier(t *testing.T) {
	h := http.Header{"X-Keep": {"1"}, "X-Set": {"old", "older"}, "X-Add": {"a"}, "X-Drop": {"d"}}
	compileHeaderMod(&snapshotv1.HeaderModifier{
		Set:    []*snapshotv1.Header{{Name: "x-set", Value: "new"}, {Name: "x-fresh", Value: "f"}},
		Add:    []*snapshotv1.Header{{Name: "x-add", Value: "b"}},
		Remove: []string{"x-drop"},
	}).apply(h)
	require.Equal(t, http.Header{"X-Keep": {"1"}, "X-Set": {"new"}, "X-Fresh": {"f"}, "X-Add": {"a", "b"}}, h)
}

func TestRedirectLocation(t *testing.T) {
	tests := map[string]struct {
		rr       *snapshotv1.RequestRedirect
		target   string
		host     string
		tls      bool
		listener uint32
		want     string
		wantCode int
	}{
		"scheme change drops the port":        {rr: &snapshotv1.RequestRedirect{Scheme: "https"}, target: "/a?b=c", host: "gw:8080", listener: 8080, want: "https://gw/a?b=c", wantCode: 302},
		"same scheme keeps the listener port": {rr: &snapshotv1.RequestRedirect{Hostname: "other"}, target: "/a", host: "gw:8080", listener: 8080, want: "http://other:8080/a", wantCode: 302},
		"explicit port":                       {rr: &snapshotv1.RequestRedirect{Port: 8443, Scheme: "https", StatusCode: 301}, target: "/", host: "gw", listener: 80, want: "https://gw:8443/", wantCode: 301},
		"well-known port is omitted":          {rr: &snapshotv1.RequestRedirect{}, target: "/x", host: "gw", tls: true, listener: 443, want: "https://gw/x", wantCode: 302},
		"prefix rewrite": {
			rr:     &snapshotv1.RequestRedirect{Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_PREFIX_MATCH, Value: "/new"}},
			target: "/old/page", host: "gw", listener: 80, want: "http://gw/new/page", wantCode: 302,
		},
		"full path": {
			rr:     &snapshotv1.RequestRedirect{Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_FULL_PATH, Value: "/home"}},
			target: "/old/page", host: "gw", listener: 80, want: "http://gw/home", wantCode: 302,
		},
	}
	m, err := compileMatch(&snapshotv1.RouteMatch{Path: prefix("/old")})
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := compileRedirect(tc.rr, &m)
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			r.Host = tc.host
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			require.Equal(t, tc.want, d.location(r, tc.listener))
			require.Equal(t, tc.wantCode, d.status)
		})
	}
	_, err = compileRedirect(&snapshotv1.RequestRedirect{StatusCode: 307}, &m)
	require.ErrorContains(t, err, "not 301 or 302")
}

func TestWeightedPick(t *testing.T) {
	a, b := &upstream{name: "a"}, &upstream{name: "b"}
	set := backendSet{backends: []weightedBackend{{up: a, weight: 1}, {up: b, weight: 3}}, total: 4}
	counts := map[string]int{}
	for range 4000 {
		counts[set.pick().name]++
	}
	require.InDelta(t, 1000, counts["a"], 200)
	require.InDelta(t, 3000, counts["b"], 200)
	require.Nil(t, (&backendSet{}).pick())
}
