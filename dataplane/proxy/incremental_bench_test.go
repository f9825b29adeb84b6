package proxy

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// benchRoutes is a snapshot of n prefix routes to one upstream, each with the
// tutorial's claim rule on the value model of its own, route changed having changedModel.
func benchRoutes(tb testing.TB, n, changed int, changedModel string) []byte {
	tb.Helper()
	vh := &snapshotv1.VirtualHost{Name: "http~*", Domains: []string{"*"}}
	for i := range n {
		model := "gpt-3.5-turbo"
		if i == changed {
			model = changedModel
		}
		vh.Routes = append(vh.Routes, &snapshotv1.Route{
			Name:     fmt.Sprintf("gloo-system/bench-%d/rule/0/match/0", i),
			Match:    &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Value: fmt.Sprintf("/bench/%d", i)}},
			Backends: []*snapshotv1.WeightedBackend{{Upstream: "openai", Weight: 1}},
			Rbac: &snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{Name: "viewer", NestedClaimDelimiter: ".", Principals: []*snapshotv1.Principal{{
				JwtPrincipal: &snapshotv1.JwtPrincipal{Claims: []*snapshotv1.Claim{{Key: "llms.openai", Value: model}}, Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS},
			}}}}},
		})
	}
	s := &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{Name: "http", Port: 8080, Protocol: snapshotv1.Protocol_HTTP, VirtualHosts: []*snapshotv1.VirtualHost{vh}}},
		Upstreams: []*snapshotv1.Upstream{{Name: "openai", Kind: &snapshotv1.Upstream_Llm{Llm: &snapshotv1.LlmUpstream{
			Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k", Endpoint: &snapshotv1.Endpoint{Host: "127.0.0.1", Port: 1},
		}}}},
	}
	require.NoError(tb, snapshotv1.SetVersion(s))
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	require.NoError(tb, err)
	return enc
}

// BenchmarkApplyOneChange is a proxy taking a 10,000-route snapshot in which one route
// changed: "patch" from a patch against the snapshot it serves (made, checked, read,
// one route compiled), "whole" decoding and compiling the whole snapshot as proxies did
// before patches.
func BenchmarkApplyOneChange(b *testing.B) {
	const n = 10000
	srv := &Server{
		cfg: Config{Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Now: time.Now, Transports: llm.NewTransports(llm.TransportConfig{})},
		log: logr.Discard(), localLimiter: ratelimit.New(ratelimit.Config{}),
	}
	srv.limiters.Store(&limiterState{limiter: srv.localLimiter})
	encs := [2][]byte{benchRoutes(b, n, n/2, "gpt-4o"), benchRoutes(b, n, n/2, "gpt-4")}
	b.Run("patch", func(b *testing.B) {
		l, err := snapshotv1.ReadLayout(encs[0])
		require.NoError(b, err)
		prev, err := srv.compileLayout(l, encs[0], nil)
		require.NoError(b, err)
		patches := [2]*snapshotv1.SnapshotPatch{}
		for i := range patches {
			base := encs[1-i]
			patches[i], err = snapshotv1.MakePatch(base, mustLayout(b, base).Version, encs[i])
			require.NoError(b, err)
		}
		b.ReportAllocs()
		i := 1
		for b.Loop() {
			enc, err := snapshotv1.ApplyPatch(prev.encoded, patches[i%2], 64<<20)
			require.NoError(b, err)
			l, err := snapshotv1.ReadLayout(enc)
			require.NoError(b, err)
			if prev, err = srv.compileLayout(l, enc, prev); err != nil || prev.compiled != 1 {
				b.Fatalf("compiled %d routes: %v", prev.compiled, err)
			}
			i++
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s := &snapshotv1.Snapshot{}
			require.NoError(b, proto.Unmarshal(encs[i%2], s))
			if _, err := srv.compile(s); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func mustLayout(tb testing.TB, enc []byte) *snapshotv1.Layout {
	tb.Helper()
	l, err := snapshotv1.ReadLayout(enc)
	require.NoError(tb, err)
	return l
}
