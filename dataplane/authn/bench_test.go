package authn

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/test/tokens"
)

// benchRequirement is the tutorial's provider on an Authenticator with the given cache.
func benchRequirement(b *testing.B, cacheSize int) *Requirement {
	b.Helper()
	a := New(Config{Logger: logr.Discard(), CacheSize: cacheSize})
	b.Cleanup(a.cancel)
	p := localProvider("selfminted", tokens.PublicKeyPEM(b))
	p.Issuer = tokens.TutorialIssuer
	ps, err := a.Compile([]*snapshotv1.JwtProvider{p})
	if err != nil {
		b.Fatal(err)
	}
	q, err := ps.Requirement(oneStage(snapshotv1.ValidationPolicy_REQUIRE_VALID, p))
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// runAuthenticate authenticates one request per iteration, cycling through toks.
func runAuthenticate(b *testing.B, q *Requirement, toks ...string) {
	b.Helper()
	values := make([][]string, len(toks))
	for i, tok := range toks {
		values[i] = []string{"Bearer " + tok}
	}
	r := httptest.NewRequest(http.MethodPost, "http://gw.example:8080/openai", nil)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		r.Header["Authorization"] = values[i%len(values)]
		if _, f := q.Authenticate(r); f != nil {
			b.Fatal(f.Body)
		}
		i++
	}
}

// BenchmarkAuthenticateCached is the steady state: the same RS256 token (Alice's) on every
// request, served from the verified-token cache.
func BenchmarkAuthenticateCached(b *testing.B) {
	q := benchRequirement(b, 0)
	runAuthenticate(b, q, tokens.Alice(b))
}

// BenchmarkAuthenticateFresh verifies a different RS256 token on every request: parse,
// checks and a jwx signature verification each time.
func BenchmarkAuthenticateFresh(b *testing.B) {
	keys(b)
	a := New(Config{Logger: logr.Discard(), CacheSize: 1})
	b.Cleanup(a.cancel)
	p := localProvider("p", rsaA.PublicPEM(b))
	p.Issuer = "https://issuer.example"
	ps, err := a.Compile([]*snapshotv1.JwtProvider{p})
	if err != nil {
		b.Fatal(err)
	}
	q, err := ps.Requirement(oneStage(snapshotv1.ValidationPolicy_REQUIRE_VALID, p))
	if err != nil {
		b.Fatal(err)
	}
	// More distinct tokens than the cache holds: every request misses.
	toks := make([]string, 512)
	for i := range toks {
		toks[i] = rsaA.Mint(b, claims("https://issuer.example", "n", i, "llms", map[string]any{"openai": []any{"gpt-4o"}}))
	}
	runAuthenticate(b, q, toks...)
}

// BenchmarkAuthenticateAndAuthorize is the tutorial's whole check on a cached token.
func BenchmarkAuthenticateAndAuthorize(b *testing.B) {
	q := benchRequirement(b, 0)
	rbac, err := authz.Compile(&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "viewer", NestedClaimDelimiter: ".",
		Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims:  []*snapshotv1.Claim{{Key: "llms.openai", Value: "gpt-3.5-turbo"}},
			Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS,
		}}},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	alice := "Bearer " + tokens.Alice(b)
	r := httptest.NewRequest(http.MethodPost, "http://gw.example:8080/openai", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Header["Authorization"] = []string{alice}
		toks, f := q.Authenticate(r)
		if f != nil || !rbac.Allowed(toks, r.Method, r.URL.Path) {
			b.Fatal("denied")
		}
	}
}

// BenchmarkCanonicalJWS is the spelling check every request pays before the cache lookup,
// on the tutorial's RS256 token.
func BenchmarkCanonicalJWS(b *testing.B) {
	tok := tokens.Alice(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	for b.Loop() {
		if !canonicalJWS(tok) {
			b.Fatal("not canonical")
		}
	}
}

// BenchmarkParseJWT decodes the tutorial's token: the strict segment, header and claim
// checks of a cache miss, without the signature.
func BenchmarkParseJWT(b *testing.B) {
	tok := tokens.Alice(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, f := parseJWT(tok); f != nil {
			b.Fatal(f.Body)
		}
	}
}
