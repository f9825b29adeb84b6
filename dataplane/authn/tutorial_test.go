package authn

import (
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestTutorial is the access-control tutorial: both tokens verify with the PEM key and
// issuer solo.io, the token is not forwarded, and the RouteOption's rule allows Alice and
// denies Bob.
func TestTutorial(t *testing.T) {
	e := newEnv(t)
	p := localProvider("selfminted", tokens.PublicKeyPEM(t))
	p.Issuer = tokens.TutorialIssuer
	q := e.requirement(t, p)
	rbac, err := authz.Compile(&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "viewer", NestedClaimDelimiter: ".",
		Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims:  []*snapshotv1.Claim{{Key: "llms.openai", Value: "gpt-3.5-turbo"}},
			Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS,
		}}},
	}}})
	require.NoError(t, err)

	tests := map[string]struct {
		token   string
		sub     string
		allowed bool
	}{
		"alice": {tokens.Alice(t), "alice", true},
		"bob":   {tokens.Bob(t), "bob", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for range 2 { // the second round is served from the cache
				r := bearer(tc.token)
				toks := requireOK(t, q, r)
				require.Len(t, toks, 1)
				require.Equal(t, "selfminted", toks[0].Provider)
				require.Equal(t, tc.sub, toks[0].Claims["sub"])
				require.Empty(t, r.Header.Get("Authorization"), "the client token is not forwarded")
				require.Equal(t, tc.allowed, rbac.Allowed(toks, r.Method, r.URL.Path))
			}
		})
	}

	r := bearer("")
	requireFailure(t, q, r, 401, "Jwt is missing")
	_, f := q.Authenticate(r)
	w := answer(f, r)
	require.Equal(t, `Bearer realm="http://gw.example:8080/openai"`, w.Header().Get("Www-Authenticate"))
}
