package compile

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
)

// tutorialKey is the tutorial's RS256 public key (seed/public-key.pem).
const tutorialKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAskFAGESgB22iOsGk/UgX
BXTmMtd8R0vphvZ4RkXySOIra/vsg1UKay6aESBoZzeLX3MbBp5laQenjaYJ3U8P
QLCcellbaiyUuE6+obPQVIa9GEJl37GQmZIMQj4y68KHZ4m2WbQVlZVIw/Uw52cw
eGtitLMztiTnsve0xtgdUzV0TaynaQrRW7REF+PtLWitnvp9evweOrzHhQiPLcdm
fxfxCbEJHa0LRyyYatCZETOeZgkOHlYSU0ziyMhHBqpDH1vzXrM573MQ5MtrKkWR
T4ZQKuEe0Acyd2GhRg9ZAxNqs/gbb8bukDPXv4JnFLtWZ/7EooKbUC/QBKhQYAsK
bQIDAQAB
-----END PUBLIC KEY-----
`

// generateInputs builds one Gateway with the tutorial's VirtualHostOption, and n
// HTTPRoutes to one Upstream, each with its own RouteOption holding an rbac policy.
func generateInputs(n int) Inputs {
	const ns = "gloo-system"
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := Inputs{
		ControllerName: ControllerName,
		GatewayClasses: []gwv1.GatewayClass{{ObjectMeta: metav1.ObjectMeta{Name: "claimgate", Generation: 1}, Spec: gwv1.GatewayClassSpec{ControllerName: ControllerName}}},
		Gateways: []gwv1.Gateway{{
			ObjectMeta: metav1.ObjectMeta{Name: "ai-gateway", Namespace: ns, Generation: 1},
			Spec: gwv1.GatewaySpec{GatewayClassName: "claimgate", Listeners: []gwv1.Listener{{
				Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 8080,
				AllowedRoutes: &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: ptr(gwv1.NamespacesFromAll)}},
			}}},
		}},
		Secrets: []corev1.Secret{{ObjectMeta: metav1.ObjectMeta{Name: "openai-secret", Namespace: ns}, Data: map[string][]byte{"Authorization": []byte("Bearer sk-test")}}},
		Upstreams: []gloov1.Upstream{{
			ObjectMeta: metav1.ObjectMeta{Name: "openai", Namespace: ns, Generation: 1},
			Spec:       gloov1.UpstreamSpec{AI: &gloov1.AIUpstream{OpenAI: &gloov1.OpenAI{AuthToken: &gloov1.SingleAuthToken{SecretRef: &gloov1.SecretRef{Name: "openai-secret"}}}}},
		}},
		VirtualHostOptions: []gatewayv1.VirtualHostOption{{
			ObjectMeta: metav1.ObjectMeta{Name: "jwt-provider", Namespace: ns, Generation: 1},
			Spec: gatewayv1.VirtualHostOptionSpec{
				TargetRefs: []gatewayv1.GatewayTargetReference{{Group: groupGateway, Kind: kindGateway, Name: "ai-gateway"}},
				Options: gatewayv1.VirtualHostOptions{Jwt: &gatewayv1.JwtVhostExtension{Providers: map[string]gatewayv1.JwtProvider{
					"selfminted": {Issuer: "solo.io", Jwks: gatewayv1.Jwks{Local: &gatewayv1.LocalJwks{Key: tutorialKey}}},
				}}},
			},
		}},
	}
	for i := range n {
		in.HTTPRoutes = append(in.HTTPRoutes, generatedRoute(ns, i, base))
		in.RouteOptions = append(in.RouteOptions, generatedRouteOption(ns, i, "gpt-3.5-turbo"))
	}
	return in
}

func generatedRoute(ns string, i int, base time.Time) *gwv1.HTTPRoute {
	name := fmt.Sprintf("route-%05d", i)
	return &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, Generation: 1, UID: types.UID("uid-" + name),
			CreationTimestamp: metav1.NewTime(base.Add(time.Duration(i) * time.Second)),
		},
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "ai-gateway", Namespace: ptr(gwv1.Namespace(ns))}}},
			Rules: []gwv1.HTTPRouteRule{{
				Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchPathPrefix), Value: ptr("/" + name)}}},
				Filters: []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterURLRewrite, URLRewrite: &gwv1.HTTPURLRewriteFilter{
					Path: &gwv1.HTTPPathModifier{Type: gwv1.FullPathHTTPPathModifier, ReplaceFullPath: ptr("/v1/chat/completions")},
				}}},
				BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
					Group: ptr(gwv1.Group(groupGloo)), Kind: ptr(gwv1.Kind(kindUpstream)), Name: "openai",
				}}}},
			}},
		},
	}
}

//nolint:unparam // same shape as generatedRoute; benchmarks may use other namespaces
func generatedRouteOption(ns string, i int, model string) *gatewayv1.RouteOption {
	name := fmt.Sprintf("route-%05d", i)
	return &gatewayv1.RouteOption{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-opt", Namespace: ns, Generation: 1, UID: types.UID("uid-" + name + "-opt")},
		Spec: gatewayv1.RouteOptionSpec{
			TargetRefs: []gatewayv1.RouteTargetReference{{Group: groupGateway, Kind: kindHTTPRoute, Name: name}},
			Options: gatewayv1.RouteOptions{Rbac: &gatewayv1.Rbac{Policies: map[string]gatewayv1.RbacPolicy{
				"viewer": {NestedClaimDelimiter: ".", Principals: []gatewayv1.Principal{{JwtPrincipal: &gatewayv1.JwtPrincipal{
					Claims:  map[string]apiextensionsv1.JSON{"llms.openai": {Raw: []byte(fmt.Sprintf("%q", model))}},
					Matcher: gatewayv1.ListContains,
				}}}},
			}}},
		},
	}
}
