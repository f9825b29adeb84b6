package crd_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const vhoHeader = `
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: {name: bad}
spec:
`

const rtoHeader = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: bad}
spec:
`

const usHeader = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: bad}
spec:
`

const gatewayTarget = `
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}]
`

const localKey = `{local: {key: "-----BEGIN PUBLIC KEY-----"}}`

// TestInvalidObjectsRejected applies each invalid object and asserts the API server's
// message: it must name the field and say what is wrong.
func TestInvalidObjectsRejected(t *testing.T) {
	tests := map[string]struct {
		doc        string
		wantErrors []string
	}{
		"ai routeType unknown": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {routeType: COMPLETION}
`,
			wantErrors: []string{"spec.options.ai.routeType", "ai.routeType: must be CHAT or CHAT_STREAMING (or 0, 1)"},
		},
		"ai routeType number out of range": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {routeType: 2}
`,
			wantErrors: []string{"ai.routeType: must be CHAT or CHAT_STREAMING (or 0, 1)"},
		},
		"ai promptGuard unknown builtin": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {promptGuard: {request: {regex: {builtins: [CREDIT_CARD, IBAN]}}}}
`,
			wantErrors: []string{"spec.options.ai.promptGuard.request.regex.builtins[1]", "regex.builtins: each must be SSN, CREDIT_CARD, PHONE_NUMBER or EMAIL (or 0-3)"},
		},
		"ai promptGuard action out of range": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {promptGuard: {request: {regex: {matches: [{pattern: x}], action: 2}}}}
`,
			wantErrors: []string{"regex.action: must be MASK or REJECT (or 0, 1)"},
		},
		"ai promptGuard empty pattern and status out of range": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {promptGuard: {request: {customResponse: {statusCode: 700}, regex: {matches: [{pattern: ""}]}}}}
`,
			wantErrors: []string{"spec.options.ai.promptGuard.request.regex.matches[0].pattern", "spec.options.ai.promptGuard.request.customResponse.statusCode"},
		},
		"ai promptGuard webhook header match type": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {promptGuard: {response: {webhook: {host: h, port: 8000, forwardHeaders: [{key: x-user, matchType: GLOB}]}}}}
`,
			wantErrors: []string{"forwardHeaders.matchType: must be EXACT, PREFIX, SUFFIX, CONTAINS or REGEX (or 0-4)"},
		},
		"ai promptGuard moderation key of two sources": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {promptGuard: {request: {moderation: {openai: {authToken: {inline: k, passthrough: {}}}}}}}
`,
			wantErrors: []string{"authToken: set exactly one of inline, secretRef or passthrough"},
		},
		"ai promptEnrichment message without a role": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {promptEnrichment: {prepend: [{content: hi}]}}
`,
			wantErrors: []string{"spec.options.ai.promptEnrichment.prepend[0].role: Required value"},
		},
		"ai default without a value": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
  options:
    ai: {defaults: [{field: temperature}]}
`,
			wantErrors: []string{"spec.options.ai.defaults[0].value: Required value"},
		},
		"VirtualHostOption targeting an HTTPRoute": {
			doc: vhoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: openai}]
`,
			wantErrors: []string{`spec.targetRefs[0].kind: Unsupported value: "HTTPRoute": supported values: "Gateway"`},
		},
		"VirtualHostOption targeting another group": {
			doc: vhoHeader + `
  targetRefs: [{group: gateway.solo.io, kind: Gateway, name: ai-gateway}]
`,
			wantErrors: []string{`spec.targetRefs[0].group: Unsupported value: "gateway.solo.io"`},
		},
		"RouteOption targeting a Gateway": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}]
`,
			wantErrors: []string{`spec.targetRefs[0].kind: Unsupported value: "Gateway": supported values: "HTTPRoute"`},
		},
		"provider with both local and remote keys": {
			doc: vhoHeader + gatewayTarget + `
  options:
    jwt:
      providers:
        p: {jwks: {local: {key: k}, remote: {url: "https://idp.example/jwks"}}}
`,
			wantErrors: []string{"spec.options.jwt.providers[p].jwks", "jwks: set exactly one of local or remote"},
		},
		"provider with no key source": {
			doc: vhoHeader + gatewayTarget + `
  options:
    jwt:
      providers:
        p: {jwks: {}}
`,
			wantErrors: []string{"spec.options.jwt.providers[p].jwks", "jwks: set exactly one of local or remote"},
		},
		"remote key set with a URL that is not HTTP": {
			doc: vhoHeader + gatewayTarget + `
  options:
    jwt:
      providers:
        p: {jwks: {remote: {url: "ftp://idp.example/jwks"}}}
`,
			wantErrors: []string{"spec.options.jwt.providers[p].jwks.remote.url", "must start with http:// or https://"},
		},
		"unknown validationPolicy": {
			doc: vhoHeader + gatewayTarget + `
  options:
    jwt:
      validationPolicy: ALLOW_ANYTHING
      providers:
        p: {jwks: ` + localKey + `}
`,
			wantErrors: []string{`spec.options.jwt.validationPolicy: Invalid value: "ALLOW_ANYTHING"`, "must be REQUIRE_VALID, ALLOW_MISSING or ALLOW_MISSING_OR_FAILED (or 0, 1, 2)"},
		},
		"unknown matcher": {
			doc: rtoHeader + `
  options:
    rbac:
      policies:
        viewer:
          principals:
          - jwtPrincipal: {claims: {team: dev}, matcher: CONTAINS}
`,
			wantErrors: []string{`spec.options.rbac.policies[viewer].principals[0].jwtPrincipal.matcher: Invalid value: "CONTAINS"`, "must be EXACT_STRING, BOOLEAN, LIST_CONTAINS or REGEX_MATCH (or 0-3)"},
		},
		"VirtualHostOption with jwt and jwtStaged": {
			doc: vhoHeader + gatewayTarget + `
  options:
    jwt: {providers: {p: {jwks: ` + localKey + `}}}
    jwtStaged: {afterExtAuth: {providers: {p: {jwks: ` + localKey + `}}}}
`,
			wantErrors: []string{"spec.options", "set at most one of jwt or jwtStaged"},
		},
		"RouteOption with jwt and jwtProvidersStaged": {
			doc: rtoHeader + `
  options:
    jwt: {disable: true}
    jwtProvidersStaged: {afterExtAuth: {providers: {p: {jwks: ` + localKey + `}}}}
`,
			wantErrors: []string{"spec.options", "set at most one of jwt, jwtStaged or jwtProvidersStaged"},
		},
		"Upstream with two providers": {
			doc: usHeader + `
  ai:
    openai: {authToken: {inline: sk-1}}
    mistral: {authToken: {inline: sk-2}}
`,
			wantErrors: []string{"spec.ai", "set exactly one of openai, mistral, anthropic, azureOpenai, gemini, vertexAi, bedrock or multi"},
		},
		"multi pool entry with two providers": {
			doc: usHeader + `
  ai:
    multi:
      priorities:
      - pool:
        - openai: {model: gpt-4o}
        - openai: {model: gpt-4o-mini}
          mistral: {model: mistral-large}
`,
			wantErrors: []string{"spec.ai.multi.priorities[0].pool[1]", "names exactly one provider: set one of openai, mistral, anthropic, azureOpenai, gemini, vertexAi or bedrock"},
		},
		"multi pool entry with no provider": {
			doc: usHeader + `
  ai:
    multi:
      priorities:
      - pool:
        - {}
`,
			wantErrors: []string{"spec.ai.multi.priorities[0].pool[0]", "names exactly one provider"},
		},
		"multi with an empty pool": {
			doc: usHeader + `
  ai:
    multi:
      priorities:
      - pool: []
`,
			wantErrors: []string{"spec.ai.multi.priorities[0].pool", "should have at least 1 items"},
		},
		"multi with too many priorities": {
			doc: usHeader + `
  ai:
    multi:
      priorities:` + strings.Repeat("\n      - pool: [{openai: {}}]", 17) + "\n",
			wantErrors: []string{"spec.ai.multi.priorities", "must have at most 16 items"},
		},
		"Upstream with an empty ai": {
			doc:        usHeader + "  ai: {}\n",
			wantErrors: []string{"spec.ai", "ai: set exactly one of"},
		},
		"Upstream with neither ai nor static": {
			doc:        usHeader + "  {}\n",
			wantErrors: []string{"spec: set exactly one of ai, static, kube, aws, awsEc2, azure, consul, gcp or pipe"},
		},
		"authToken with two sources": {
			doc: usHeader + `
  ai:
    openai: {authToken: {inline: sk-1, secretRef: {name: openai-secret}}}
`,
			wantErrors: []string{"spec.ai.openai.authToken", "set exactly one of inline, secretRef or passthrough"},
		},
		"authToken with no source": {
			doc:        usHeader + "  ai: {openai: {authToken: {}}}\n",
			wantErrors: []string{"spec.ai.openai.authToken", "set exactly one of inline, secretRef or passthrough"},
		},
		"empty targetRef name": {
			doc: rtoHeader + `
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: ""}]
`,
			wantErrors: []string{`spec.targetRefs[0].name: Invalid value: ""`, "at least 1 chars long"},
		},
		"empty secretRef name": {
			doc:        usHeader + "  ai: {openai: {authToken: {secretRef: {name: \"\"}}}}\n",
			wantErrors: []string{"spec.ai.openai.authToken.secretRef.name", "at least 1 chars long"},
		},
		"empty claimsToHeaders header": {
			doc: vhoHeader + gatewayTarget + `
  options:
    jwt:
      providers:
        p: {jwks: ` + localKey + `, claimsToHeaders: [{claim: sub, header: ""}]}
`,
			wantErrors: []string{"spec.options.jwt.providers.p.claimsToHeaders[0].header", "at least 1 chars long"},
		},
		"customHost port out of range": {
			doc:        usHeader + "  ai: {openai: {authToken: {inline: sk-1}, customHost: {host: llm.local, port: 70000}}}\n",
			wantErrors: []string{"spec.ai.openai.customHost.port", "should be less than or equal to 65535"},
		},
		"azureOpenai without endpoint or customHost": {
			doc:        usHeader + "  ai: {azureOpenai: {deploymentName: d, apiVersion: v}}\n",
			wantErrors: []string{"spec.ai.azureOpenai", "azureOpenai: set endpoint or customHost"},
		},
		"pathOverride with fullPath and basePath": {
			doc:        usHeader + "  ai: {openai: {customHost: {host: h, pathOverride: {fullPath: /a, basePath: /b}}}}\n",
			wantErrors: []string{"spec.ai.openai.customHost.pathOverride", "set one of fullPath or basePath"},
		},
		"upgrade without a protocol": {
			doc:        rtoHeader + "  options: {upgrades: [{}]}\n",
			wantErrors: []string{"spec.options.upgrades[0]", "set exactly one of websocket, connect or connectTerminate"},
		},
		"static host port zero": {
			doc:        usHeader + "  static: {hosts: [{addr: 10.0.0.1, port: 0}]}\n",
			wantErrors: []string{"spec.static.hosts[0].port", "should be greater than or equal to 1"},
		},
	}
	for desc, tc := range tests {
		t.Run(desc, func(t *testing.T) {
			ns := newNamespace(t)
			err := env.Client.Create(context.Background(), decode(t, ns, tc.doc))
			require.Error(t, err, "the API server accepted an invalid object")
			for _, want := range tc.wantErrors {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}
