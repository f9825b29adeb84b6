package controllers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// corpusEntry is one option as a Gloo user writes it, and what claimgate must make of it.
type corpusEntry struct {
	name, yaml string
	outcome    gatewayv1.OptionOutcome
}

// corpusMembers names, per option the status reports member by member, the member
// its corpus entry sets.
var corpusMembers = map[string]string{"ai": "promptGuard.request.regex"}

// statusName is the name the option's status gives the entry.
func (e corpusEntry) statusName() string {
	if m := corpusMembers[e.name]; m != "" {
		return e.name + "." + m
	}
	return e.name
}

// routeCorpus has one entry per top-level option of Gloo's RouteOption, written as in
// Gloo's docs and workshops.
var routeCorpus = []corpusEntry{
	{"ai", `{promptGuard: {request: {customResponse: {message: blocked}, regex: {builtins: [CREDIT_CARD]}}}}`, gatewayv1.OptionHonored},
	{"appendXForwardedHost", `true`, gatewayv1.OptionIgnored},
	{"autoHostRewrite", `true`, gatewayv1.OptionHonored},
	{"bufferPerRoute", `{buffer: {maxRequestBytes: 8192}}`, gatewayv1.OptionRefused},
	{"cors", `{allowOrigin: [https://app.example.com], allowMethods: [GET, POST], maxAge: "600"}`, gatewayv1.OptionHonored},
	{"csrf", `{filterEnabled: {defaultValue: {numerator: 100, denominator: HUNDRED}}}`, gatewayv1.OptionRefused},
	{"dlp", `{actions: [{actionType: SSN}]}`, gatewayv1.OptionRefused},
	{"envoyMetadata", `{io.solo.custom: {team: platform}}`, gatewayv1.OptionIgnored},
	{"extProc", `{overrides: {processingMode: {requestHeaderMode: SEND}}}`, gatewayv1.OptionRefused},
	{"extProcEarly", `{disabled: false}`, gatewayv1.OptionRefused},
	{"extProcLate", `{disabled: false}`, gatewayv1.OptionRefused},
	{"extauth", `{configRef: {name: oauth, namespace: gloo-system}}`, gatewayv1.OptionRefused},
	{"extensions", `{configs: {my-plugin: {enabled: true}}}`, gatewayv1.OptionRefused},
	{"faults", `{abort: {httpStatus: 503, percentage: 50}, delay: {fixedDelay: 1s, percentage: 10}}`, gatewayv1.OptionHonored},
	{"headerManipulation", `{requestHeadersToAdd: [{header: {key: x-team, value: a}, append: false}], responseHeadersToRemove: [server]}`, gatewayv1.OptionHonored},
	{"hostRewrite", `api.internal`, gatewayv1.OptionHonored},
	{"hostRewriteHeader", `x-target-host`, gatewayv1.OptionIgnored},
	{"hostRewritePathRegex", `{pattern: {regex: "^/([^/]+)/.*$"}, substitution: '\1.internal'}`, gatewayv1.OptionIgnored},
	{"idleTimeout", `60s`, gatewayv1.OptionHonored},
	{"jwt", `{disable: true}`, gatewayv1.OptionHonored},
	{"jwtProvidersStaged", `{afterExtAuth: {providers: {idp: {issuer: https://idp.example.com, jwks: {local: {key: "@KEY@"}}}}}}`, gatewayv1.OptionHonored},
	{"jwtStaged", `{beforeExtAuth: {disable: true}}`, gatewayv1.OptionHonored},
	{"lbHash", `{hashPolicies: [{header: x-user}]}`, gatewayv1.OptionIgnored},
	{"maxStreamDuration", `{maxStreamDuration: 300s}`, gatewayv1.OptionHonored},
	{"prefixRewrite", `/v1`, gatewayv1.OptionHonored},
	{"rateLimitConfigs", `{refs: [{name: per-user, namespace: gloo-system}]}`, gatewayv1.OptionHonored},
	{"rateLimitEarlyConfigs", `{refs: [{name: per-ip, namespace: gloo-system}]}`, gatewayv1.OptionHonored},
	{"rateLimitRegularConfigs", `{refs: [{name: per-team, namespace: gloo-system}]}`, gatewayv1.OptionHonored},
	{"ratelimit", `{rateLimits: [{actions: [{genericKey: {descriptorValue: per-minute}}]}]}`, gatewayv1.OptionRefused},
	{"ratelimitBasic", `{anonymousLimits: {requestsPerUnit: 10, unit: MINUTE}}`, gatewayv1.OptionRefused},
	{"ratelimitEarly", `{rateLimits: [{actions: [{remoteAddress: {}}]}]}`, gatewayv1.OptionRefused},
	{"ratelimitRegular", `{rateLimits: [{actions: [{requestHeaders: {headerName: x-user, descriptorKey: user}}]}]}`, gatewayv1.OptionRefused},
	{"rbac", `{policies: {viewer: {principals: [{jwtPrincipal: {claims: {team: dev}, matcher: 0}}]}}}`, gatewayv1.OptionHonored},
	{"regexRewrite", `{pattern: {regex: "^/corpus/(.*)$"}, substitution: '/v1/\1'}`, gatewayv1.OptionHonored},
	{"retries", `{retryOn: "5xx,retriable-status-codes", numRetries: 2, retriableStatusCodes: [429], perTryTimeout: 10s}`, gatewayv1.OptionHonored},
	{"shadowing", `{upstream: {name: mirror, namespace: gloo-system}, percentage: 10}`, gatewayv1.OptionIgnored},
	{"stagedTransformations", `{regular: {requestTransforms: [{requestTransformation: {transformationTemplate: {headers: {x-a: {text: b}}}}}]}}`, gatewayv1.OptionIgnored},
	{"timeout", `30s`, gatewayv1.OptionHonored},
	{"tracing", `{routeDescriptor: chat}`, gatewayv1.OptionIgnored},
	{"transformations", `{requestTransformation: {transformationTemplate: {headers: {x-a: {text: b}}}}}`, gatewayv1.OptionIgnored},
	{"upgrades", `[{websocket: {enabled: false}}]`, gatewayv1.OptionHonored},
	{"waf", `{customInterventionMessage: blocked, ruleSets: [{ruleStr: "SecRuleEngine On"}]}`, gatewayv1.OptionRefused},
}

// vhostCorpus has one entry per top-level option of Gloo's VirtualHostOption that the
// RouteOption corpus does not already show in the same form.
var vhostCorpus = []corpusEntry{
	{"corsPolicyMergeSettings", `{exposeHeaders: UNION}`, gatewayv1.OptionHonored},
	{"includeAttemptCountInResponse", `true`, gatewayv1.OptionHonored},
	{"includeRequestAttemptCount", `true`, gatewayv1.OptionHonored},
	{"jwt", `{providers: {idp: {issuer: https://idp.example.com, jwks: {local: {key: "@KEY@"}}}}, validationPolicy: 1}`, gatewayv1.OptionHonored},
	{"stats", `{virtualClusters: [{name: chat, pattern: /v1/chat/.*}]}`, gatewayv1.OptionIgnored},
	{"waf", `{customInterventionMessage: blocked}`, gatewayv1.OptionRefused},
	{"extauth", `{configRef: {name: oauth, namespace: gloo-system}}`, gatewayv1.OptionRefused},
	{"retries", `{retryOn: connect-failure}`, gatewayv1.OptionHonored},
	{"transformations", `{clearRouteCache: true}`, gatewayv1.OptionIgnored},
}

// upstreamCorpus has one entry per top-level field of Gloo's Upstream besides ai,
// static and kube (each entry is added to a static Upstream unless it is a kind).
var upstreamCorpus = []corpusEntry{
	{"aws", `{region: us-east-1, secretRef: {name: aws, namespace: gloo-system}}`, gatewayv1.OptionRefused},
	{"awsEc2", `{region: us-east-1, filters: [{key: env}]}`, gatewayv1.OptionRefused},
	{"azure", `{functionAppName: app}`, gatewayv1.OptionRefused},
	{"consul", `{serviceName: llm, dataCenters: [dc1]}`, gatewayv1.OptionRefused},
	{"gcp", `{host: fn.example.com}`, gatewayv1.OptionRefused},
	{"pipe", `{path: /var/run/llm.sock}`, gatewayv1.OptionRefused},
	{"circuitBreakers", `{maxConnections: 100, maxPendingRequests: 10}`, gatewayv1.OptionIgnored},
	{"connectionConfig", `{maxRequestsPerConnection: 100, connectTimeout: 5s}`, gatewayv1.OptionIgnored},
	{"disableIstioAutoMtls", `true`, gatewayv1.OptionIgnored},
	{"discoveryMetadata", `{labels: {team: a}}`, gatewayv1.OptionIgnored},
	{"dnsRefreshRate", `30s`, gatewayv1.OptionIgnored},
	{"failover", `{prioritizedLocalities: [{localityEndpoints: [{locality: {region: us}}]}]}`, gatewayv1.OptionIgnored},
	{"healthChecks", `[{timeout: 1s, interval: 10s, httpHealthCheck: {path: /health}}]`, gatewayv1.OptionIgnored},
	{"httpConnectHeaders", `[{key: x-tunnel, value: a}]`, gatewayv1.OptionIgnored},
	{"httpConnectSslConfig", `{sni: proxy.example.com}`, gatewayv1.OptionIgnored},
	{"httpProxyHostname", `proxy.example.com:3128`, gatewayv1.OptionIgnored},
	{"ignoreHealthOnHostRemoval", `true`, gatewayv1.OptionIgnored},
	{"initialConnectionWindowSize", `65536`, gatewayv1.OptionIgnored},
	{"initialStreamWindowSize", `65536`, gatewayv1.OptionIgnored},
	{"loadBalancerConfig", `{roundRobin: {}}`, gatewayv1.OptionIgnored},
	{"maxConcurrentStreams", `100`, gatewayv1.OptionIgnored},
	{"namespacedStatuses", `{statuses: {}}`, gatewayv1.OptionIgnored},
	{"outlierDetection", `{consecutive5xx: 5}`, gatewayv1.OptionIgnored},
	{"overrideStreamErrorOnInvalidHttpMessage", `true`, gatewayv1.OptionIgnored},
	{"preconnectPolicy", `{perUpstreamPreconnectRatio: 1.5}`, gatewayv1.OptionIgnored},
	{"protocolSelection", `USE_DOWNSTREAM_PROTOCOL`, gatewayv1.OptionIgnored},
	{"proxyProtocolVersion", `V2`, gatewayv1.OptionIgnored},
	{"respectDnsTtl", `true`, gatewayv1.OptionIgnored},
	{"sslConfig", `{sni: llm.internal, alpnProtocols: [http/1.1]}`, gatewayv1.OptionHonored},
	{"useHttp2", `true`, gatewayv1.OptionIgnored},
}

func corpusName(option string) string { return "corpus-" + strings.ToLower(option) }

// TestGlooCorpus applies Gloo manifests that use every option, unchanged, with the real
// kubectl, and checks what each option's object says and what its routes do: an option
// claimgate lacks that admits or refuses traffic leaves its routes closed.
func TestGlooCorpus(t *testing.T) {
	key := strings.ReplaceAll(strings.TrimSpace(readFile(t, "../config/samples/tokens/public-key.pem")), "\n", `\n`)
	t.Run("RouteOption", func(t *testing.T) {
		ns := newNamespace(t)
		applyTutorial(t, ns, "00", "10")
		var doc strings.Builder
		for _, name := range []string{"per-user", "per-ip", "per-team"} {
			fmt.Fprintf(&doc, "---\napiVersion: ratelimit.solo.io/v1alpha1\nkind: RateLimitConfig\nmetadata: {name: %s, namespace: gloo-system}\nspec:\n  raw:\n    descriptors: [{key: generic_key, value: %s, rateLimit: {requestsPerUnit: 100, unit: MINUTE}}]\n    rateLimits: [{actions: [{genericKey: {descriptorValue: %s}}]}]\n", name, name, name)
		}
		for i, e := range routeCorpus {
			fmt.Fprintf(&doc, "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: %[1]s, namespace: gloo-system}\nspec:\n  parentRefs: [{name: ai-gateway}]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /corpus/%[2]d}}]\n    backendRefs: [{name: openai, group: gloo.solo.io, kind: Upstream}]\n", corpusName(e.name), i)
			fmt.Fprintf(&doc, "---\napiVersion: gateway.solo.io/v1\nkind: RouteOption\nmetadata: {name: %[1]s, namespace: gloo-system}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %[1]s}]\n  options:\n    %[2]s: %[3]s\n", corpusName(e.name), e.name, strings.ReplaceAll(e.yaml, "@KEY@", key))
		}
		applyYAML(t, ns, doc.String())
		for _, e := range routeCorpus {
			var o gatewayv1.RouteOption
			eventually(t, types.NamespacedName{Namespace: ns, Name: corpusName(e.name)}, &o, func() string {
				return wantOptionStatus(o.Status.Conditions, o.Status.Options, o.Generation, "options."+e.statusName(), e.outcome)
			})
		}
		snap := proxyStream(t, types.NamespacedName{Namespace: ns, Name: "ai-gateway"}, "proxy-0").next(t, wait)
		require.NotNil(t, snap)
		for i, e := range routeCorpus {
			r := routeByPath(snap, fmt.Sprintf("/corpus/%d", i))
			require.NotNil(t, r, e.name)
			if e.outcome == gatewayv1.OptionRefused {
				require.Equal(t, &snapshotv1.DirectResponse{Status: 500, Body: "route uses options." + e.statusName() + ", which claimgate does not implement"}, r.GetDirectResponse(), e.name)
			} else {
				require.Nil(t, r.GetDirectResponse(), "%s leaves its route open", e.name)
			}
			if strings.HasPrefix(e.name, "rateLimit") {
				require.NotNil(t, r.GetRateLimits(), "%s puts its RateLimitConfig on the route", e.name)
			}
		}
	})
	t.Run("VirtualHostOption", func(t *testing.T) {
		for _, e := range vhostCorpus {
			ns := newNamespace(t)
			applyTutorial(t, ns, "00", "10")
			applyYAML(t, ns, fmt.Sprintf("apiVersion: gateway.solo.io/v1\nkind: VirtualHostOption\nmetadata: {name: corpus, namespace: gloo-system}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}]\n  options:\n    %s: %s\n", e.name, strings.ReplaceAll(e.yaml, "@KEY@", key)))
			var o gatewayv1.VirtualHostOption
			eventually(t, types.NamespacedName{Namespace: ns, Name: "corpus"}, &o, func() string {
				return wantOptionStatus(o.Status.Conditions, o.Status.Options, o.Generation, "options."+e.name, e.outcome)
			})
			if e.outcome == gatewayv1.OptionRefused {
				snap := proxyStream(t, types.NamespacedName{Namespace: ns, Name: "ai-gateway"}, "proxy-0").next(t, wait)
				for _, r := range routes(snap) {
					require.Equal(t, "route uses options."+e.name+", which claimgate does not implement", r.GetDirectResponse().GetBody(), e.name)
				}
			}
		}
	})
	t.Run("Upstream", func(t *testing.T) {
		ns := newNamespace(t)
		var doc strings.Builder
		for _, e := range upstreamCorpus {
			base := "  static: {hosts: [{addr: 10.0.0.7, port: 8443}]}\n"
			if e.outcome == gatewayv1.OptionRefused {
				base = ""
			}
			fmt.Fprintf(&doc, "---\napiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: {name: %s, namespace: gloo-system}\nspec:\n%s  %s: %s\n", corpusName(e.name), base, e.name, e.yaml)
		}
		applyYAML(t, ns, doc.String())
		for _, e := range upstreamCorpus {
			var u gloov1.Upstream
			eventually(t, types.NamespacedName{Namespace: ns, Name: corpusName(e.name)}, &u, func() string {
				return wantOptionStatus(u.Status.Conditions, u.Status.Options, u.Generation, "spec."+e.name, e.outcome)
			})
		}
	})
}

// wantOptionStatus checks the Accepted condition and the option's entry for outcome.
// Honored options of an Upstream have no entry.
func wantOptionStatus(conds []metav1.Condition, options []gatewayv1.OptionStatus, gen int64, name string, outcome gatewayv1.OptionOutcome) string {
	i := slices.IndexFunc(options, func(o gatewayv1.OptionStatus) bool { return o.Name == name })
	switch outcome {
	case gatewayv1.OptionRefused:
		if m := wantCondition(conds, "Accepted", gen, metav1.ConditionFalse, name); m != "" {
			return m
		}
		if c, _ := condition(conds, "Accepted", gen); c.Reason != gatewayv1.ReasonUnsupported {
			return "Accepted reason is " + c.Reason
		}
	case gatewayv1.OptionIgnored:
		if m := wantCondition(conds, "Accepted", gen, metav1.ConditionTrue, "ignored, as claimgate does not implement them: "+name); m != "" {
			return m
		}
	default:
		if m := wantCondition(conds, "Accepted", gen, metav1.ConditionTrue, ""); m != "" {
			return m
		}
		if strings.HasPrefix(name, "spec.") {
			if i >= 0 {
				return fmt.Sprintf("%s is listed as %s", name, options[i].Outcome)
			}
			return ""
		}
	}
	if i < 0 {
		return fmt.Sprintf("%s is not in status.options %v", name, options)
	}
	if options[i].Outcome != outcome {
		return fmt.Sprintf("%s is %s, want %s", name, options[i].Outcome, outcome)
	}
	return ""
}

// routeByPath is the snapshot route whose path prefix is path.
func routeByPath(s *snapshotv1.Snapshot, path string) *snapshotv1.Route {
	for _, r := range routes(s) {
		if r.GetMatch().GetPath().GetValue() == path {
			return r
		}
	}
	return nil
}
