package compile

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

func TestIntersectHostnames(t *testing.T) {
	tests := map[string]struct {
		listener string
		route    []gwv1.Hostname
		want     []string
	}{
		"no hostnames anywhere":              {"", nil, []string{"*"}},
		"listener only":                      {"api.example.com", nil, []string{"api.example.com"}},
		"route only":                         {"", []gwv1.Hostname{"b.example.com", "a.example.com"}, []string{"a.example.com", "b.example.com"}},
		"exact equal":                        {"api.example.com", []gwv1.Hostname{"api.example.com"}, []string{"api.example.com"}},
		"exact differ":                       {"api.example.com", []gwv1.Hostname{"www.example.com"}, nil},
		"listener wildcard admits exact":     {"*.example.com", []gwv1.Hostname{"api.example.com", "example.com"}, []string{"api.example.com"}},
		"route wildcard narrows to listener": {"api.example.com", []gwv1.Hostname{"*.example.com"}, []string{"api.example.com"}},
		"two wildcards keep the narrower":    {"*.example.com", []gwv1.Hostname{"*.api.example.com"}, []string{"*.api.example.com"}},
		"wildcards the other way":            {"*.api.example.com", []gwv1.Hostname{"*.example.com"}, []string{"*.api.example.com"}},
		"unrelated wildcard":                 {"*.example.com", []gwv1.Hostname{"*.example.org"}, nil},
		"suffix is not a label boundary":     {"*.example.com", []gwv1.Hostname{"badexample.com"}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, intersectHostnames(tc.listener, tc.route))
		})
	}
}

func TestCompareDomains(t *testing.T) {
	got := []string{"*", "*.example.com", "b.example.com", "*.api.example.com", "a.example.com"}
	slices.SortFunc(got, compareDomains)
	require.Equal(t, []string{"a.example.com", "b.example.com", "*.api.example.com", "*.example.com", "*"}, got)
}

func TestValidateKeyMaterial(t *testing.T) {
	tests := map[string]struct {
		key     string
		wantErr string
	}{
		"PEM public key": {key: tutorialKey},
		"JWKS":           {key: `{"keys":[{"kty":"EC","crv":"P-256","x":"d1nPdN82884MCCfxdTvPhD6qe0k2SPf124hJz9mjUME","y":"b0XfhpkEjs19Ig21DY_UA9NXzSjVG3YaGJpMtJtFPHk"}]}`},
		"one JWK":        {key: `{"kty":"EC","crv":"P-256","x":"d1nPdN82884MCCfxdTvPhD6qe0k2SPf124hJz9mjUME","y":"b0XfhpkEjs19Ig21DY_UA9NXzSjVG3YaGJpMtJtFPHk"}`},
		"symmetric JWK":  {key: `{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}`},
		"empty":          {key: "  ", wantErr: "is empty"},
		"no PEM":         {key: "not a key", wantErr: "no PEM block found"},
		"bad PEM body":   {key: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", wantErr: "the PEM block is not a valid public key or certificate"},
		"bad JSON":       {key: `{"kty":`, wantErr: "not a valid JWK or JWKS document"},
		"empty JWKS":     {key: `{"keys":[]}`, wantErr: "holds no key"},
		"private JWK": {
			key:     `{"kty":"EC","crv":"P-256","x":"d1nPdN82884MCCfxdTvPhD6qe0k2SPf124hJz9mjUME","y":"b0XfhpkEjs19Ig21DY_UA9NXzSjVG3YaGJpMtJtFPHk","d":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"}`,
			wantErr: "holds a private key",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := validateKeyMaterial(tc.key)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestCompileRbacFailsClosed(t *testing.T) {
	principal := func(matcher gatewayv1.ClaimMatcher, raw string) gatewayv1.Rbac {
		return gatewayv1.Rbac{Policies: map[string]gatewayv1.RbacPolicy{"p": {Principals: []gatewayv1.Principal{{
			JwtPrincipal: &gatewayv1.JwtPrincipal{Matcher: matcher, Claims: map[string]apiextensionsv1.JSON{"c": {Raw: []byte(raw)}}},
		}}}}}
	}
	tests := map[string]struct {
		rbac         gatewayv1.Rbac
		wantNil      bool
		wantPolicies int
		wantProblem  string
	}{
		"disabled":              {rbac: gatewayv1.Rbac{Disable: true}, wantNil: true},
		"no policies denies":    {rbac: gatewayv1.Rbac{}},
		"string claim":          {rbac: principal(gatewayv1.ExactString, `"x"`), wantPolicies: 1},
		"unquoted boolean":      {rbac: principal(gatewayv1.Boolean, `true`), wantPolicies: 1},
		"quoted boolean":        {rbac: principal(gatewayv1.Boolean, `"false"`), wantPolicies: 1},
		"boolean not a boolean": {rbac: principal(gatewayv1.Boolean, `"yes"`), wantProblem: `value "yes" is not true or false`},
		"number":                {rbac: principal(gatewayv1.ExactString, `3`), wantProblem: "neither a string nor a boolean"},
		"bad regex":             {rbac: principal(gatewayv1.RegexMatch, `"a("`), wantProblem: "not a valid RE2 expression"},
		"unknown matcher":       {rbac: principal("FUZZY", `"x"`), wantProblem: `matcher "FUZZY"`},
		"principal without jwtPrincipal is dropped": {
			rbac: gatewayv1.Rbac{Policies: map[string]gatewayv1.RbacPolicy{"p": {Principals: []gatewayv1.Principal{{}}}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, probs := compileRbac(&tc.rbac)
			if tc.wantNil {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			if tc.wantProblem != "" {
				require.Empty(t, got.Policies, "an rbac that cannot be compiled must deny")
				require.Contains(t, probs.message(), tc.wantProblem)
				return
			}
			require.Empty(t, probs)
			require.Len(t, got.Policies, tc.wantPolicies)
		})
	}
}

// TestKeyParsedOncePerCompile checks that identical key material is validated once.
func TestKeyParsedOncePerCompile(t *testing.T) {
	c := newCompiler(&Inputs{}, NewCompiler())
	require.NoError(t, c.checkLocalKey(tutorialKey))
	c.keys[tutorialKey] = errSentinel
	require.ErrorIs(t, c.checkLocalKey(tutorialKey), errSentinel)
}

var errSentinel = &sentinelError{}

type sentinelError struct{}

func (*sentinelError) Error() string { return "cached" }

func TestClaimValueMatchesAPI(t *testing.T) {
	for _, raw := range []string{`"x"`, `true`, `false`, `"true"`, `"a\"b"`, `"\u00e9t\u00e9"`, `"été"`, `3`, `null`, `""`, `"tab	"`} {
		t.Run(raw, func(t *testing.T) {
			v := apiextensionsv1.JSON{Raw: []byte(raw)}
			want, wantErr := gatewayv1.ClaimValueString(v)
			got, err := claimValue(v)
			require.Equal(t, want, got)
			require.Equal(t, wantErr != nil, err != nil)
		})
	}
}
