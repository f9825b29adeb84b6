package proxy_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// rewriteSnapshot serves one route per case of upstreamRewrite in front of the raw
// backend, as a static upstream and as an OpenAI upstream.
func rewriteSnapshot(port uint32, backend *rawBackend, routes ...*snapshotv1.Route) *snapshotv1.Snapshot {
	return &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{
			Name: "http", Port: port, Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{Name: "http~*", Domains: []string{"*"}, Routes: routes}},
		}},
		Upstreams: []*snapshotv1.Upstream{
			{Name: "llm", Kind: &snapshotv1.Upstream_Llm{Llm: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: openaiKey,
				Endpoint: &snapshotv1.Endpoint{Host: "127.0.0.1", Port: backend.port()},
			}}},
			{Name: "raw", Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
				Endpoints: []*snapshotv1.Endpoint{{Host: "127.0.0.1", Port: backend.port()}},
			}}},
		},
	}
}

func rewriteRoute(name, pathPrefix, upstream string, u *snapshotv1.UpstreamRewrite) *snapshotv1.Route {
	return &snapshotv1.Route{
		Name:            name,
		Match:           &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: pathPrefix}},
		Backends:        []*snapshotv1.WeightedBackend{{Upstream: upstream, Weight: 1}},
		UpstreamRewrite: u,
	}
}

// TestUpstreamRewriteReachesUpstream: what the upstream receives, on the wire, for each
// kind of rewrite.
func TestUpstreamRewriteReachesUpstream(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	backend := newRawBackend(t)
	prefix := func(s string) *string { return &s }
	h.apply(rewriteSnapshot(h.port, backend,
		rewriteRoute("prefix", "/prefix", "raw", &snapshotv1.UpstreamRewrite{Prefix: prefix("/v2")}),
		rewriteRoute("slash", "/slash", "raw", &snapshotv1.UpstreamRewrite{Prefix: prefix("/")}),
		rewriteRoute("trailing", "/trailing/", "raw", &snapshotv1.UpstreamRewrite{Prefix: prefix("/")}),
		rewriteRoute("empty", "/empty", "raw", &snapshotv1.UpstreamRewrite{Prefix: prefix("")}),
		rewriteRoute("regex", "/regex", "raw", &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{
			Pattern: `^/regex/([^/]+)/(.*)$`, Substitution: `/\2/\1`,
		}}),
		rewriteRoute("host", "/host", "raw", &snapshotv1.UpstreamRewrite{Host: "rewritten.example"}),
		rewriteRoute("auto", "/auto", "raw", &snapshotv1.UpstreamRewrite{AutoHost: true}),
		rewriteRoute("llm-host", "/llm-host", "llm", &snapshotv1.UpstreamRewrite{Host: "rewritten.example"}),
		rewriteRoute("llm-auto", "/llm-auto", "llm", &snapshotv1.UpstreamRewrite{AutoHost: true, Prefix: prefix("/v1")}),
	), false)
	tests := map[string]struct {
		target, wantLine, wantHost string
	}{
		"prefix, query kept, ';' escaped":  {target: "/prefix/a;b?q=1", wantLine: "GET /v2/a%3Bb?q=1 HTTP/1.1", wantHost: "gw"},
		"prefix alone":                     {target: "/prefix", wantLine: "GET /v2 HTTP/1.1", wantHost: "gw"},
		"prefix to / keeps both slashes":   {target: "/slash/a", wantLine: "GET //a HTTP/1.1", wantHost: "gw"},
		"trailing-slash prefix to /":       {target: "/trailing/a", wantLine: "GET /a HTTP/1.1", wantHost: "gw"},
		"trailing-slash prefix, bare path": {target: "/trailing", wantLine: "GET / HTTP/1.1", wantHost: "gw"},
		"empty prefix rewrites nothing":    {target: "/empty/a", wantLine: "GET /empty/a HTTP/1.1", wantHost: "gw"},
		"regex with captures":              {target: "/regex/x/y/z%20w", wantLine: "GET /y/z%20w/x HTTP/1.1", wantHost: "gw"},
		"host":                             {target: "/host/a", wantLine: "GET /host/a HTTP/1.1", wantHost: "rewritten.example"},
		"auto host":                        {target: "/auto", wantLine: "GET /auto HTTP/1.1", wantHost: "127.0.0.1:" + itoa(backend.port())},
		"LLM upstream keeps its Host":      {target: "/llm-host", wantLine: "GET /llm-host HTTP/1.1", wantHost: "127.0.0.1"},
		"LLM upstream, auto host, prefix":  {target: "/llm-auto/chat/completions", wantLine: "GET /v1/chat/completions HTTP/1.1", wantHost: "127.0.0.1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := h.dialRaw()
			c.send("GET " + tc.target + " HTTP/1.1\r\nHost: gw\r\n\r\n")
			resp, body := c.read()
			require.Equal(t, 200, resp.StatusCode, body)
			seen := backend.take()
			require.Len(t, seen, 1)
			require.Equal(t, tc.wantLine, seen[0].requestLine())
			require.Equal(t, []string{tc.wantHost}, seen[0].header("Host"))
		})
	}
}

// TestUpstreamRewriteRejectsSnapshot: contradictory rewrites reject the snapshot, naming
// the route.
func TestUpstreamRewriteRejectsSnapshot(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	backend := newRawBackend(t)
	r := rewriteRoute("both", "/both", "raw", &snapshotv1.UpstreamRewrite{Regex: &snapshotv1.RegexRewrite{Pattern: "a"}})
	r.Filters = []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_UrlRewrite{UrlRewrite: &snapshotv1.URLRewrite{
		Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_FULL_PATH, Value: "/x"},
	}}}}
	s := rewriteSnapshot(h.port, backend, r)
	require.NoError(t, snapshotv1.SetVersion(s))
	require.ErrorContains(t, h.srv.Apply(s), "route both: upstream rewrite: the route's URLRewrite filter already rewrites the path")
}
