package authn

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/tokens"
)

// bodies are every answer a failure may carry.
var bodies = map[string]int{
	"Jwt is missing": 401,
	"Jwt is not in the form of Header.Payload.Signature":          401,
	"Jwt header is an invalid Base64url input or an invalid JSON": 401,
	"Jwt payload is an invalid Base64 or an invalid JSON":         401,
	"Jwt issuer is not configured":                                401,
	"Jwt is expired":                                              401,
	"Jwt not yet valid":                                           401,
	noKey:                                                         401,
	"Jwt verification fails":                                      401,
	"Jwks remote fetch is failed":                                 401,
	"Audiences in Jwt are not allowed":                            403,
}

// checkOutcome fails unless Authenticate answered a known failure or a verified token.
func checkOutcome(t *testing.T, r *http.Request, q *Requirement) {
	toks, f := q.Authenticate(r)
	if f == nil {
		if len(toks) != 1 || toks[0].Claims == nil {
			t.Fatalf("success without exactly one verified token: %v", toks)
		}
		return
	}
	if want, ok := bodies[f.Body]; !ok || want != f.Status {
		t.Fatalf("unexpected failure %d %q", f.Status, f.Body)
	}
	w := httptest.NewRecorder()
	f.Write(w, r)
	if w.Code != f.Status || w.Body.String() != f.Body {
		t.Fatalf("Write answered %d %q", w.Code, w.Body.String())
	}
}

// FuzzAuthenticate feeds arbitrary Authorization values to providers of every kind: the
// answer is a verified token or a 401/403 failure, never a panic.
func FuzzAuthenticate(f *testing.F) {
	keys(f)
	e := newEnv(f)
	pem := localProvider("pem", rsaA.PublicPEM(f))
	pem.Issuer = "https://issuer.example"
	pem.Audiences = []string{"llm"}
	set := localProvider("jwks", tokens.JWKS(f, rsaB, ecA, hmacA))
	tutorial := localProvider("tutorial", tokens.PublicKeyPEM(f))
	tutorial.Issuer = tokens.TutorialIssuer
	tutorial.ClaimsToHeaders = []*snapshotv1.ClaimToHeader{{Claim: "llms.openai", Header: "x-models"}, {Claim: "sub", Header: "x-sub"}}
	q := e.requirement(f, pem, set, tutorial)

	for _, seed := range []string{
		"", "Bearer ", "Bearer a.b.c", "Bearer ..", "Bearer a.b.c.d", "bearer x",
		"Bearer " + tokens.Alice(f), "Bearer " + tokens.Bob(f),
		"Bearer " + rsaA.Mint(f, claims("https://issuer.example", "aud", "llm")),
		"Bearer " + rsaA.Mint(f, claims("https://issuer.example", "aud", []any{"x"})),
		"Bearer " + rsaB.Mint(f, claims("", "exp", 1.0)),
		"Bearer " + ecA.Mint(f, claims("", "nbf", 1e12)),
		"Bearer " + hmacA.Mint(f, claims("")),
		"Bearer " + tokens.Encode(`{"alg":"none"}`) + "." + tokens.Encode(`{}`) + ".",
		"Bearer " + tokens.Encode(`{"alg":"HS256","kid":"a"}`) + "." + tokens.Encode(`{"iss":"https://issuer.example"}`) + ".AAAA",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		r := httptest.NewRequest(http.MethodGet, "http://gw.example/openai", nil)
		r.Header.Set("Authorization", auth)
		checkOutcome(t, r, q)
	})
}

// FuzzKeySet compiles arbitrary inline key text: the provider fails closed or verifies,
// never panics, and a key text is never usable as an HMAC secret unless it is a JWK.
func FuzzKeySet(f *testing.F) {
	keys(f)
	e := newEnv(f)
	for _, seed := range []string{
		"", "{}", `{"keys":[]}`, `{"keys":null}`, `{"kty":"oct","k":""}`, `{"kty":"oct","k":"c2VjcmV0"}`,
		`{"kty":"RSA","n":"AQAB","e":"AQAB"}`, `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"AA"}`, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
		rsaA.PublicPEM(f), ecA.PublicPEM(f), rsaA.JWKJSON(f), hmacA.JWKJSON(f), tokens.JWKS(f, rsaA, ecA, hmacA),
		tokens.PublicKeyPEM(f),
	} {
		f.Add(seed)
	}
	rsTok := rsaA.Mint(f, claims(""))
	hsTok := hmacA.Mint(f, claims(""))
	f.Fuzz(func(t *testing.T, text string) {
		ps, err := e.a.Compile([]*snapshotv1.JwtProvider{localProvider("p", text)})
		if err != nil {
			t.Fatalf("Compile must fail closed, not fail: %v", err)
		}
		q, err := ps.Requirement(&snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{{Providers: []string{"ns/opt/p"}}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{rsTok, hsTok} {
			checkOutcome(t, bearer(tok), q)
		}
		forged := (&tokens.Key{Alg: "HS256", Private: []byte(text)}).Mint(t, claims(""))
		if _, fail := q.Authenticate(bearer(forged)); fail == nil && !strings.HasPrefix(strings.TrimSpace(text), "{") {
			t.Fatalf("key text that is not a JWK verified an HS256 token signed with it")
		}
	})
}
