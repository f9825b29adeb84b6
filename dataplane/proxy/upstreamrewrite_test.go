package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
)

func strPtr(s string) *string { return &s }

func TestUpstreamRewritePath(t *testing.T) {
	tests := map[string]struct {
		match  *snapshotv1.PathMatch
		prefix *string
		regex  *snapshotv1.RegexRewrite
		in     string
		want   string
	}{
		"prefix replaced":               {match: prefix("/openai"), prefix: strPtr("/v1"), in: "/openai/chat", want: "/v1/chat"},
		"prefix equal to path":          {match: prefix("/openai"), prefix: strPtr("/v1"), in: "/openai", want: "/v1"},
		"prefix to slash keeps slashes": {match: prefix("/openai"), prefix: strPtr("/"), in: "/openai/chat", want: "//chat"},
		"trailing-slash prefix to /":    {match: prefix("/openai/"), prefix: strPtr("/"), in: "/openai/chat", want: "/chat"},
		"trailing-slash prefix on bare": {match: prefix("/openai/"), prefix: strPtr("/v1/"), in: "/openai", want: "/v1/"},
		"prefix without slash gets one": {match: prefix("/openai"), prefix: strPtr("v1"), in: "/openai/chat", want: "/v1/chat"},
		"empty prefix rewrites nothing": {match: prefix("/openai"), prefix: strPtr(""), in: "/openai/chat", want: "/openai/chat"},
		"root prefix prepends":          {match: prefix("/"), prefix: strPtr("/api/"), in: "/chat", want: "/api/chat"},
		"no path match is /":            {prefix: strPtr("/api/"), in: "/chat", want: "/api/chat"},
		"exact replaces the path":       {match: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: "/a"}, prefix: strPtr("/b/c"), in: "/a", want: "/b/c"},
		"regex match replaces the path": {match: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "/a.*"}, prefix: strPtr("/z"), in: "/abc", want: "/z"},
		"regex with captures":           {match: prefix("/pre"), regex: &snapshotv1.RegexRewrite{Pattern: `^/pre/([^/]+)(/.*)$`, Substitution: `\2/swap/\1`}, in: "/pre/a/b/c", want: "/b/c/swap/a"},
		"regex replaces every match":    {regex: &snapshotv1.RegexRewrite{Pattern: `o`, Substitution: `0`}, in: "/foo/boo", want: "/f00/b00"},
		"regex whole match and dollar":  {regex: &snapshotv1.RegexRewrite{Pattern: `v(\d)`, Substitution: `[\0]$1\\`}, in: "/v1/x", want: `/[v1]$1\/x`},
		"regex result without slash":    {regex: &snapshotv1.RegexRewrite{Pattern: `^/`, Substitution: ``}, in: "/a/b", want: "/a/b"},
		"regex no match":                {regex: &snapshotv1.RegexRewrite{Pattern: `zzz`, Substitution: `y`}, in: "/a", want: "/a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := &snapshotv1.Route{
				Match:           &snapshotv1.RouteMatch{Path: tc.match},
				UpstreamRewrite: &snapshotv1.UpstreamRewrite{Prefix: tc.prefix, Regex: tc.regex},
			}
			u, err := compileUpstreamRewrite(r, &route{})
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodGet, tc.in, nil)
			u.apply(req)
			require.Equal(t, tc.want, req.URL.Path)
		})
	}
}

func TestUpstreamRewriteRefused(t *testing.T) {
	filterPath := &urlRewrite{path: &pathMod{full: true, value: "/x"}}
	filterHost := &urlRewrite{hostname: "h"}
	tests := map[string]struct {
		u      *snapshotv1.UpstreamRewrite
		filter *urlRewrite
		want   string
	}{
		"prefix and regex":         {u: &snapshotv1.UpstreamRewrite{Prefix: strPtr("/a"), Regex: &snapshotv1.RegexRewrite{Pattern: "a"}}, want: "prefix and regex cannot both be set"},
		"host and auto host":       {u: &snapshotv1.UpstreamRewrite{Host: "h", AutoHost: true}, want: "host and auto_host cannot both be set"},
		"filter rewrites the path": {u: &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{Pattern: "a"}}, filter: filterPath, want: "URLRewrite filter already rewrites the path"},
		"filter rewrites the host": {u: &snapshotv1.UpstreamRewrite{AutoHost: true}, filter: filterHost, want: "URLRewrite filter already rewrites the host"},
		"bad pattern":              {u: &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{Pattern: "("}}, want: "regex: error parsing regexp"},
		"group out of range":       {u: &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{Pattern: "(a)", Substitution: `\2`}}, want: `names \2 but the pattern has 1 groups`},
		"unknown escape":           {u: &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{Pattern: "a", Substitution: `\n`}}, want: `substitution has \n`},
		"lone backslash":           {u: &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{Pattern: "a", Substitution: `x\`}}, want: "lone"},
		"host with a space":        {u: &snapshotv1.UpstreamRewrite{Host: "a b"}, want: `host "a b" is not a valid Host header`},
		"host with CRLF":           {u: &snapshotv1.UpstreamRewrite{Host: "a\r\nX: y"}, want: "not a valid Host header"},
		"prefix with NUL":          {u: &snapshotv1.UpstreamRewrite{Prefix: strPtr("/a\x00")}, want: "control character"},
		"path filter, host option": {u: &snapshotv1.UpstreamRewrite{Host: "h.example:8080"}, filter: filterPath},
		"empty prefix with filter": {u: &snapshotv1.UpstreamRewrite{Prefix: strPtr("")}, filter: filterPath},
		"IPv6 host":                {u: &snapshotv1.UpstreamRewrite{Host: "[::1]:8080"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileUpstreamRewrite(&snapshotv1.Route{UpstreamRewrite: tc.u}, &route{rewrite: tc.filter})
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
	// A route that never forwards ignores it.
	u, err := compileUpstreamRewrite(&snapshotv1.Route{
		UpstreamRewrite: &snapshotv1.UpstreamRewrite{Host: "h", AutoHost: true},
		DirectResponse:  &snapshotv1.DirectResponse{Status: 200},
	}, &route{})
	require.NoError(t, err)
	require.Nil(t, u)
}

func TestEndpointAuthority(t *testing.T) {
	for in, want := range map[*snapshotv1.Endpoint]string{
		{Host: "backend.internal", Port: 8080}:           "backend.internal:8080",
		{Host: "backend.internal", Port: 80}:             "backend.internal",
		{Host: "backend.internal", Port: 443, Tls: true}: "backend.internal",
		{Host: "backend.internal", Port: 80, Tls: true}:  "backend.internal:80",
		{Host: "::1", Port: 8080}:                        "[::1]:8080",
		{Host: "::1", Port: 80}:                          "[::1]",
	} {
		ep, err := llm.CompileEndpoint(in)
		require.NoError(t, err)
		require.Equal(t, want, endpointAuthority(ep))
	}
}
