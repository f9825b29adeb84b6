// Package contract_test checks the one contract between the controller and the proxy:
// every snapshot the compiler builds is one the proxy accepts. It compiles each golden
// input of controllers/compile and hands the snapshots to a proxy's validation, and
// fuzzes the options of RouteOptions and VirtualHostOptions the same way.
package contract_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/testenv"
)

func newProxy(t testing.TB) *proxy.Server {
	t.Helper()
	srv, err := proxy.New(proxy.Config{Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Logger: logr.Discard()})
	require.NoError(t, err)
	return srv
}

func goldenInputs(t testing.TB) map[string]compile.Inputs {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testenv.ModuleRoot(), "controllers", "compile", "testdata", "*.in.yaml"))
	require.NoError(t, err)
	out := map[string]compile.Inputs{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		in, err := compile.DecodeInputs(data)
		require.NoError(t, err, p)
		out[filepath.Base(p)] = in
	}
	return out
}

// TestProxyAcceptsEveryGoldenSnapshot: the proxy accepts what the compiler builds from
// every golden input, bad inputs included (the compiler closes their routes instead).
func TestProxyAcceptsEveryGoldenSnapshot(t *testing.T) {
	srv := newProxy(t)
	for name, in := range goldenInputs(t) {
		for gw, snap := range compile.Compile(in).Snapshots {
			require.NoError(t, srv.Validate(snap), "%s: the proxy refuses the snapshot of Gateway %s", name, gw)
		}
	}
}

// FuzzProxyAcceptsCompiledOptions: whatever options a RouteOption and a
// VirtualHostOption hold, the snapshot compiled from them is one the proxy accepts.
func FuzzProxyAcceptsCompiledOptions(f *testing.F) {
	for _, seed := range []string{
		`{"timeout":"30s","idleTimeout":"1m","maxStreamDuration":{"maxStreamDuration":"5m"},"retries":{"retryOn":"5xx,reset","numRetries":3,"perTryTimeout":"1s"}}`,
		`{"faults":{"abort":{"httpStatus":503,"percentage":50},"delay":{"fixedDelay":"1s","percentage":100}}}`,
		`{"regexRewrite":{"pattern":{"regex":"^/(.*)$"},"substitution":"/v1/\\1"},"hostRewrite":"h.example"}`,
		`{"prefixRewrite":"","autoHostRewrite":true,"headerManipulation":{"requestHeadersToAdd":[{"header":{"key":"x","value":"%%y"}}],"responseHeadersToRemove":["server"]}}`,
		`{"cors":{"allowOrigin":["*"],"allowOriginRegex":["a)|(b"],"allowHeaders":["*"],"maxAge":"10"}}`,
		`{"regexRewrite":{"pattern":{"regex":"(a)"},"substitution":"\\2"}}`,
		`{"headerManipulation":{"requestHeadersToAdd":[{"header":{"key":"x_claim","value":"v"}}]}}`,
		`{"ai":{"promptGuard":{"request":{"customResponse":{"statusCode":599},"regex":{"matches":[{"pattern":"a(?-i)b"}],"builtins":[3,"SSN"],"action":"REJECT"}},"response":{"regex":{"matches":[{"pattern":"(?s:x)$"}],"builtins":[1]}}}}}`,
		`{"ai":{"promptGuard":{"request":{"webhook":{"host":"h","port":1,"forwardHeaders":[{"key":"(","matchType":"PREFIX"}]},"moderation":{"openai":{"authToken":{"inline":"k"}}}}}}}`,
	} {
		f.Add([]byte(seed), []byte(`{"cors":{"allowOrigin":["https://a"],"exposeHeaders":["x"]},"corsPolicyMergeSettings":{"exposeHeaders":"UNION"},"retries":{"retryOn":"connect-failure"},"includeRequestAttemptCount":true}`))
	}
	data, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "controllers", "compile", "testdata", "gloo-route-options.in.yaml"))
	require.NoError(f, err)
	base, err := compile.DecodeInputs(data)
	require.NoError(f, err)
	srv := newProxy(f)
	f.Fuzz(func(t *testing.T, routeOpts, vhostOpts []byte) {
		var ro gatewayv1.RouteOptions
		var vo gatewayv1.VirtualHostOptions
		if json.Unmarshal(routeOpts, &ro) != nil || json.Unmarshal(vhostOpts, &vo) != nil {
			return
		}
		in := base
		in.RouteOptions = make([]*gatewayv1.RouteOption, len(base.RouteOptions))
		in.VirtualHostOptions = append([]gatewayv1.VirtualHostOption(nil), base.VirtualHostOptions...)
		for i, o := range base.RouteOptions {
			in.RouteOptions[i] = o.DeepCopy()
			in.RouteOptions[i].Spec.Options = ro
		}
		in.VirtualHostOptions[0].Spec.Options = vo
		for gw, snap := range compile.Compile(in).Snapshots {
			require.NoError(t, srv.Validate(snap), "the proxy refuses the snapshot of Gateway %s", gw)
		}
	})
}

// FuzzProxyAcceptsCompiledRateLimits: whatever a RateLimitConfig holds, the compiler
// either rejects it (closing its routes) or builds rate limits the proxy accepts.
func FuzzProxyAcceptsCompiledRateLimits(f *testing.F) {
	for _, seed := range []string{
		`{"raw":{"descriptors":[{"key":"user-id","rateLimit":{"requestsPerUnit":70,"unit":"HOUR"}}],"rateLimits":[{"actions":[{"metadata":{"descriptorKey":"user-id","metadataKey":{"key":"envoy.filters.http.jwt_authn","path":[{"key":"principal"},{"key":"sub"}]},"default":"unknown"}}]}]}}`,
		`{"raw":{"descriptors":[{"key":"a","value":"b","descriptors":[{"key":"c","weight":2,"alwaysApply":true,"rateLimit":{"unit":1,"requestsPerUnit":1}}]}],"rateLimits":[{"actions":[{"genericKey":{"descriptorValue":"a"}},{"remoteAddress":{}}]}]}}`,
		`{"raw":{"setDescriptors":[{"simpleDescriptors":[{"key":"x"},{"key":"y","value":"z"}],"rateLimit":{"unit":"DAY","requestsPerUnit":5}}],"rateLimits":[{"setActions":[{"headerValueMatch":{"descriptorValue":"v","headers":[{"name":"h","regexMatch":"a)|(b"}]}},{"requestHeaders":{"headerName":"x-y","descriptorKey":"x"}}]}]}}`,
		`{"raw":{"rateLimits":[{"actions":[{"headerValueMatch":{"descriptorValue":"v","headers":[{"name":"h","rangeMatch":{"start":5,"end":1}}]}},{"destinationCluster":{},"sourceCluster":{}}]}]}}`,
	} {
		f.Add([]byte(seed))
	}
	data, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "controllers", "compile", "testdata", "ratelimit-configs.in.yaml"))
	require.NoError(f, err)
	base, err := compile.DecodeInputs(data)
	require.NoError(f, err)
	srv := newProxy(f)
	f.Fuzz(func(t *testing.T, spec []byte) {
		in := base
		in.RateLimitConfigs = append([]ratelimitv1alpha1.RateLimitConfig(nil), base.RateLimitConfigs...)
		for i := range in.RateLimitConfigs {
			var s ratelimitv1alpha1.RateLimitConfigSpec
			if json.Unmarshal(spec, &s) != nil {
				return
			}
			in.RateLimitConfigs[i].Spec = s
		}
		for gw, snap := range compile.Compile(in).Snapshots {
			require.NoError(t, srv.Validate(snap), "the proxy refuses the snapshot of Gateway %s", gw)
		}
	})
}
