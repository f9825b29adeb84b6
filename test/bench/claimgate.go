package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// providerKey is the provider API key the gateways inject.
const providerKey = "sk-bench-openai-key"

// tutorialSnapshot is the tutorial compiled for one listener: /openai rewritten to the
// backend's chat completions, with the JWT provider and the LIST_CONTAINS rule on
// llms.openai when withPolicy.
func tutorialSnapshot(port, backendPort int, publicPEM string, withPolicy bool) (*snapshotv1.Snapshot, error) {
	route := &snapshotv1.Route{
		Name:  "gloo-system/openai/0",
		Match: &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/openai"}},
		Filters: []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_UrlRewrite{UrlRewrite: &snapshotv1.URLRewrite{
			Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_FULL_PATH, Value: "/v1/chat/completions"},
		}}}},
		Backends: []*snapshotv1.WeightedBackend{{Upstream: "gloo-system/openai", Weight: 1}},
	}
	s := &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{
			Name: "http", Port: uint32(port), Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{Name: "http~*", Domains: []string{"*"}, Routes: []*snapshotv1.Route{route}}},
		}},
		Upstreams: []*snapshotv1.Upstream{{Name: "gloo-system/openai", Kind: &snapshotv1.Upstream_Llm{Llm: &snapshotv1.LlmUpstream{
			Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: providerKey,
			Endpoint: &snapshotv1.Endpoint{Host: "127.0.0.1", Port: uint32(backendPort)},
		}}}},
	}
	if withPolicy {
		s.JwtProviders = []*snapshotv1.JwtProvider{{
			Id: "gloo-system/jwt-provider/selfminted", Name: "selfminted", Issuer: Issuer,
			KeySource: &snapshotv1.JwtProvider_LocalJwks{LocalJwks: publicPEM},
		}}
		route.Jwt = &snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{{
			Stage: snapshotv1.JwtStageName_AFTER_EXT_AUTH, Providers: []string{"gloo-system/jwt-provider/selfminted"},
		}}}
		route.Rbac = &snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
			Name: "viewer", NestedClaimDelimiter: ".",
			Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
				Claims:  []*snapshotv1.Claim{{Key: "llms.openai", Value: "gpt-3.5-turbo"}},
				Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS,
			}}},
		}}}
	}
	if err := snapshotv1.SetVersion(s); err != nil {
		return nil, fmt.Errorf("versioning the snapshot: %w", err)
	}
	return s, nil
}

// startClaimgate runs bin/proxy in standalone mode with the tutorial's snapshot and
// returns the process and its /openai URL once it answers.
func startClaimgate(dir, bin, name string, backendPort int, publicPEM string, withPolicy bool) (*proc, string, error) {
	p, url, _, err := startClaimgateAdmin(dir, bin, name, backendPort, publicPEM, withPolicy)
	return p, url, err
}

// startClaimgateAdmin is startClaimgate that also returns the proxy's admin address
// (/metrics, and /debug/pprof/ when extra holds --pprof); extra flags are added.
func startClaimgateAdmin(dir, bin, name string, backendPort int, publicPEM string, withPolicy bool,
	extra ...string,
) (p *proc, url, admin string, err error) {
	port, err := freePort()
	if err != nil {
		return nil, "", "", err
	}
	adminPort, err := freePort()
	if err != nil {
		return nil, "", "", err
	}
	s, err := tutorialSnapshot(port, backendPort, publicPEM, withPolicy)
	if err != nil {
		return nil, "", "", err
	}
	js, err := protojson.Marshal(s)
	if err != nil {
		return nil, "", "", fmt.Errorf("encoding the snapshot: %w", err)
	}
	cfg := filepath.Join(dir, name+".snapshot.json")
	if err := os.WriteFile(cfg, js, 0o600); err != nil {
		return nil, "", "", fmt.Errorf("writing %s: %w", cfg, err)
	}
	admin = "127.0.0.1:" + strconv.Itoa(adminPort)
	args := append([]string{
		"--config=" + cfg, "--admin-addr=" + admin, "--listen-host=127.0.0.1", "--access-log=false",
		"--log-level=error",
	}, extra...)
	p, err = startProc(name, logPath(dir, name), filepath.Join(bin, "proxy"), args...)
	if err != nil {
		return nil, "", "", err
	}
	return p, "http://127.0.0.1:" + strconv.Itoa(port) + "/openai", admin, nil
}
