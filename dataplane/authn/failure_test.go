package authn

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestFailures covers every row of Envoy's failure table: status, body, content-type and
// www-authenticate as the client sees them.
func TestFailures(t *testing.T) {
	e := newEnv(t)
	hour := float64(testNow.Unix())
	down := tokens.ServeJWKS(t, rsaA)
	down.SetFailing(true)
	other := tokens.NewRSA(t, "", "RS256")

	pemA := localProvider("pem", rsaA.PublicPEM(t))
	pemA.Issuer = "https://issuer.example"
	withAud := localProvider("aud", rsaA.PublicPEM(t))
	withAud.Audiences = []string{"api://llm", "api://other"}
	jwksKids := localProvider("jwks", tokens.JWKS(t, rsaA, rsaB))
	unusable := localProvider("broken", "")
	unusable.KeySource = nil
	unusable.Unusable = "jwks.local.key: no PEM block found"
	badKey := localProvider("badkey", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
	remoteDown := remoteProvider("down", down.URL, time.Minute)

	tests := map[string]struct {
		provider *snapshotv1.JwtProvider
		token    string
		status   int
		body     string
	}{
		"no token":                          {pemA, "", 401, "Jwt is missing"},
		"one part":                          {pemA, "abc", 401, "Jwt is not in the form of Header.Payload.Signature"},
		"two parts":                         {pemA, "abc.def", 401, "Jwt is not in the form of Header.Payload.Signature"},
		"four parts":                        {pemA, "a.b.c.d", 401, "Jwt is not in the form of Header.Payload.Signature"},
		"header not base64url":              {pemA, "e3+0.e30.sig", 401, "Jwt header is an invalid Base64url input or an invalid JSON"},
		"header not JSON":                   {pemA, tokens.Encode("nope") + ".e30.sig", 401, "Jwt header is an invalid Base64url input or an invalid JSON"},
		"header without alg":                {pemA, tokens.Encode(`{"typ":"JWT"}`) + ".e30.sig", 401, "Jwt header is an invalid Base64url input or an invalid JSON"},
		"payload not base64url":             {pemA, tokens.Encode(`{"alg":"RS256"}`) + ".e3/0.sig", 401, "Jwt payload is an invalid Base64 or an invalid JSON"},
		"payload not an object":             {pemA, tokens.Encode(`{"alg":"RS256"}`) + "." + tokens.Encode(`[1]`) + ".sig", 401, "Jwt payload is an invalid Base64 or an invalid JSON"},
		"exp not a number":                  {pemA, tokens.Encode(`{"alg":"RS256"}`) + "." + tokens.Encode(`{"exp":"soon"}`) + ".sig", 401, "Jwt payload is an invalid Base64 or an invalid JSON"},
		"wrong issuer":                      {pemA, rsaA.Mint(t, claims("https://evil.example")), 401, "Jwt issuer is not configured"},
		"no issuer while one is configured": {pemA, rsaA.Mint(t, claims("")), 401, "Jwt issuer is not configured"},
		"expired":                           {pemA, rsaA.Mint(t, claims("https://issuer.example", "exp", hour-61)), 401, "Jwt is expired"},
		"not yet valid":                     {pemA, rsaA.Mint(t, claims("https://issuer.example", "nbf", hour+61)), 401, "Jwt not yet valid"},
		"kid not in the set (jwx trap)":     {jwksKids, (&tokens.Key{Kid: "rotated", Alg: "RS256", Private: rsaA.Private}).Mint(t, claims("")), 401, "Jwks doesn't have key to match kid or alg from Jwt"},
		"alg does not fit the key":          {pemA, ecA.Mint(t, claims("https://issuer.example")), 401, "Jwks doesn't have key to match kid or alg from Jwt"},
		"alg none":                          {pemA, tokens.Encode(`{"alg":"none"}`) + "." + tokens.Encode(`{"iss":"https://issuer.example"}`) + ".", 401, "Jwks doesn't have key to match kid or alg from Jwt"},
		"bad signature":                     {pemA, other.Mint(t, claims("https://issuer.example")), 401, "Jwt verification fails"},
		"remote set never fetched":          {remoteDown, rsaA.Mint(t, claims("")), 401, "Jwks remote fetch is failed"},
		"audience not allowed":              {withAud, rsaA.Mint(t, claims("", "aud", "api://else")), 403, "Audiences in Jwt are not allowed"},
		"audience missing":                  {withAud, rsaA.Mint(t, claims("")), 403, "Audiences in Jwt are not allowed"},
		"unusable provider":                 {unusable, rsaA.Mint(t, claims("")), 401, "Jwks doesn't have key to match kid or alg from Jwt"},
		"key that does not parse":           {badKey, rsaA.Mint(t, claims("")), 401, "Jwks doesn't have key to match kid or alg from Jwt"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q := e.requirement(t, tc.provider)
			r := bearer(tc.token)
			_, f := q.Authenticate(r)
			require.NotNil(t, f)
			w := answer(f, r)
			require.Equal(t, tc.status, w.Code)
			require.Equal(t, tc.body, w.Body.String())
			require.Equal(t, "text/plain", w.Header().Get("Content-Type"))
			want := `Bearer realm="http://gw.example:8080/openai"`
			if tc.body != "Jwt is missing" {
				want += `, error="invalid_token"`
			}
			require.Equal(t, want, w.Header().Get("Www-Authenticate"))
			if tc.token != "" {
				require.Equal(t, "Bearer "+tc.token, r.Header.Get("Authorization"), "a failed request keeps its headers")
			}
		})
	}
}

func TestFailureAccepted(t *testing.T) {
	e := newEnv(t)
	hour := float64(testNow.Unix())
	p := localProvider("pem", rsaA.PublicPEM(t))
	p.Issuer = "https://issuer.example"
	withAud := localProvider("aud", rsaA.PublicPEM(t))
	withAud.Audiences = []string{"api://llm", "api://other"}
	tests := map[string]struct {
		provider *snapshotv1.JwtProvider
		token    string
	}{
		"exp within the skew":  {p, rsaA.Mint(t, claims("https://issuer.example", "exp", hour-59))},
		"nbf within the skew":  {p, rsaA.Mint(t, claims("https://issuer.example", "nbf", hour+59))},
		"valid exp and nbf":    {p, rsaA.Mint(t, claims("https://issuer.example", "exp", hour+600, "nbf", hour-600))},
		"audience string":      {withAud, rsaA.Mint(t, claims("", "aud", "api://other"))},
		"audience list":        {withAud, rsaA.Mint(t, claims("", "aud", []any{"x", "api://llm"}))},
		"no issuer configured": {withAud, rsaA.Mint(t, claims("anyone", "aud", "api://llm"))},
		"token kid, PEM key":   {p, (&tokens.Key{Kid: "k9", Alg: "RS256", Private: rsaA.Private}).Mint(t, claims("https://issuer.example"))},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			requireOK(t, e.requirement(t, tc.provider), bearer(tc.token))
		})
	}
}

func TestClockSkewIsLiteral(t *testing.T) {
	e := newEnv(t)
	p := localProvider("pem", rsaA.PublicPEM(t))
	p.ClockSkewSeconds = 0
	q := e.requirement(t, p)
	requireFailure(t, q, bearer(rsaA.Mint(t, claims("", "exp", float64(testNow.Unix()-1)))), 401, "Jwt is expired")
	requireOK(t, q, bearer(rsaA.Mint(t, claims("", "exp", float64(testNow.Unix())))))
}

func TestRealm(t *testing.T) {
	tests := map[string]struct {
		req  func() *http.Request
		want string
	}{
		"http": {
			func() *http.Request { return httptest.NewRequest("GET", "http://h.example/a/b?x=1", nil) },
			`Bearer realm="http://h.example/a/b", error="invalid_token"`,
		},
		"https": {func() *http.Request {
			r := httptest.NewRequest("GET", "https://h.example:8443/v1/chat", nil)
			r.TLS = &tls.ConnectionState{}
			return r
		}, `Bearer realm="https://h.example:8443/v1/chat", error="invalid_token"`},
		"quotes in the path stay escaped": {
			func() *http.Request { return httptest.NewRequest("GET", `http://h.example/a%22b`, nil) },
			`Bearer realm="http://h.example/a%22b", error="invalid_token"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := answer(failBadSignature, tc.req())
			require.Equal(t, tc.want, w.Header().Get("Www-Authenticate"))
		})
	}
}
