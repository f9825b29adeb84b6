package proxy_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/tokens"
)

const (
	openaiUpstream = "upstream:gloo-system/openai"
	openaiRoute    = "gloo-system/openai/rule/0/match/0"
	providerID     = "gloo-system/jwt-provider/selfminted"
	openaiKey      = "sk-test-openai-key"
)

// tutorial is the snapshot the controller compiles from the tutorial's manifests: 00 and
// 10 always, 20 (JWT) and 30 (RBAC) when asked.
func tutorial(t testing.TB, port uint32, backend string, withJWT, withRBAC bool) *snapshotv1.Snapshot {
	t.Helper()
	host, p, err := net.SplitHostPort(backend)
	require.NoError(t, err)
	bport, err := strconv.Atoi(p)
	require.NoError(t, err)
	route := &snapshotv1.Route{
		Name:  openaiRoute,
		Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/openai"}},
		Filters: []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_UrlRewrite{UrlRewrite: &snapshotv1.URLRewrite{
			Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_FULL_PATH, Value: "/v1/chat/completions"},
		}}}},
		Backends: []*snapshotv1.WeightedBackend{{Upstream: openaiUpstream, Weight: 1}},
	}
	s := &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{
			Name: "http", Port: port, Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{Name: "http~*", Domains: []string{"*"}, Routes: []*snapshotv1.Route{route}}},
		}},
		Upstreams: []*snapshotv1.Upstream{{Name: openaiUpstream, Kind: &snapshotv1.Upstream_Llm{Llm: &snapshotv1.LlmUpstream{
			Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: openaiKey,
			Endpoint: &snapshotv1.Endpoint{Host: host, Port: uint32(bport)},
		}}}},
	}
	if withJWT {
		s.JwtProviders = []*snapshotv1.JwtProvider{{
			Id: providerID, Name: "selfminted", Issuer: tokens.TutorialIssuer,
			KeySource: &snapshotv1.JwtProvider_LocalJwks{LocalJwks: tokens.PublicKeyPEM(t)},
		}}
		route.Jwt = jwtOf(providerID)
	}
	if withRBAC {
		route.Rbac = tutorialRbac()
	}
	return s
}

func jwtOf(ids ...string) *snapshotv1.JwtAuthentication {
	return &snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{{Stage: snapshotv1.JwtStageName_AFTER_EXT_AUTH, Providers: ids}}}
}

func tutorialRbac() *snapshotv1.Rbac {
	return &snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "viewer", NestedClaimDelimiter: ".",
		Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims:  []*snapshotv1.Claim{{Key: "llms.openai", Value: "gpt-3.5-turbo"}},
			Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS,
		}}},
	}}}
}
