package authn

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/tokens"
)

const noKey = "Jwks doesn't have key to match kid or alg from Jwt"

func TestAlgorithms(t *testing.T) {
	e := newEnv(t)
	signers := []*tokens.Key{
		tokens.NewRSA(t, "rs384", "RS384"), tokens.NewRSA(t, "rs512", "RS512"),
		tokens.NewRSA(t, "ps256", "PS256"), tokens.NewRSA(t, "ps384", "PS384"), tokens.NewRSA(t, "ps512", "PS512"),
		ecA, tokens.NewEC(t, "es384", "ES384"), tokens.NewEC(t, "es512", "ES512"),
		tokens.NewEd25519(t, "ed"), hmacA, tokens.NewHMAC(t, "hs384", "HS384"), tokens.NewHMAC(t, "hs512", "HS512"),
		rsaA,
	}
	for _, k := range signers {
		t.Run(k.Alg+" JWKS", func(t *testing.T) {
			q := e.requirement(t, localProvider("jwks", tokens.JWKS(t, signers...)))
			requireOK(t, q, bearer(k.Mint(t, claims(""))))
		})
		t.Run(k.Alg+" single JWK", func(t *testing.T) {
			q := e.requirement(t, localProvider("jwk", k.JWKJSON(t)))
			requireOK(t, q, bearer(k.Mint(t, claims(""))))
		})
		if k.Alg[0] != 'H' {
			t.Run(k.Alg+" PEM (family inferred from the key type)", func(t *testing.T) {
				q := e.requirement(t, localProvider("pem", k.PublicPEM(t)))
				requireOK(t, q, bearer((&tokens.Key{Alg: k.Alg, Private: k.Private}).Mint(t, claims(""))))
			})
		}
	}
}

func TestWrongKeyTypeForAlg(t *testing.T) {
	e := newEnv(t)
	es384 := tokens.NewEC(t, "", "ES384")
	rsaNoAlg := &tokens.Key{Kid: "x", Alg: "RS256", Private: rsaA.Private, JWKWithoutAlg: true}
	tests := map[string]struct {
		key   string
		token string
		want  string
	}{
		"ES256 token, P-384 key": {es384.PublicPEM(t), (&tokens.Key{Alg: "ES256", Private: es384.Private}).Mint(t, claims("")), noKey},
		"RS256 token, EC key":    {ecA.PublicPEM(t), rsaA.Mint(t, claims("")), noKey},
		"EdDSA token, RSA key":   {rsaA.PublicPEM(t), tokens.NewEd25519(t, "").Mint(t, claims("")), noKey},
		"key alg RS256, token RS384 with the same RSA key": {
			rsaA.JWKJSON(t),
			(&tokens.Key{Kid: "a", Alg: "RS384", Private: rsaA.Private}).Mint(t, claims("")), noKey,
		},
		"key without alg serves PS256 with an RSA key": {
			rsaNoAlg.JWKJSON(t),
			(&tokens.Key{Kid: "x", Alg: "PS256", Private: rsaA.Private}).Mint(t, claims("")), "",
		},
		"HS256 token, symmetric JWK":                     {hmacA.JWKJSON(t), hmacA.Mint(t, claims("")), ""},
		"HS256 token, symmetric key with another secret": {tokens.NewHMAC(t, "h", "HS256").JWKJSON(t), hmacA.Mint(t, claims("")), "Jwt verification fails"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q := e.requirement(t, localProvider("p", tc.key))
			if tc.want == "" {
				requireOK(t, q, bearer(tc.token))
				return
			}
			requireFailure(t, q, bearer(tc.token), 401, tc.want)
		})
	}
}

// TestPublicKeyIsNeverAnHMACSecret forges HS256 tokens whose secret is the RSA public key
// as the verifier holds it (PEM text, DER, tutorial key): all must fail.
func TestPublicKeyIsNeverAnHMACSecret(t *testing.T) {
	e := newEnv(t)
	pemText := tokens.PublicKeyPEM(t)
	block, _ := pem.Decode([]byte(pemText))
	require.NotNil(t, block)
	_, err := x509.ParsePKIXPublicKey(block.Bytes)
	require.NoError(t, err)
	p := localProvider("selfminted", pemText)
	p.Issuer = tokens.TutorialIssuer
	q := e.requirement(t, p)
	secrets := map[string][]byte{
		"pem text":         []byte(pemText),
		"pem text newline": []byte(pemText + "\n"),
		"der":              block.Bytes,
	}
	for name, secret := range secrets {
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			t.Run(name+" "+alg, func(t *testing.T) {
				forged := (&tokens.Key{Alg: alg, Private: secret}).Mint(t, map[string]any{
					"iss": tokens.TutorialIssuer, "sub": "mallory", "llms": map[string]any{"openai": []any{"gpt-3.5-turbo"}},
				})
				requireFailure(t, q, bearer(forged), 401, noKey)
			})
		}
	}
	// The same attack against a JWKS holding the RSA key as a JWK.
	jq := e.requirement(t, localProvider("jwks", rsaA.JWKJSON(t)))
	forged := (&tokens.Key{Kid: "a", Alg: "HS256", Private: []byte(rsaA.PublicPEM(t))}).Mint(t, claims(""))
	requireFailure(t, jq, bearer(forged), 401, noKey)
}

func TestKidRules(t *testing.T) {
	e := newEnv(t)
	set := tokens.JWKS(t, rsaA, rsaB)
	tests := map[string]struct {
		token string
		want  string
	}{
		"kid of a key in the set":                        {rsaB.Mint(t, claims("")), ""},
		"no kid: any key fitting alg":                    {(&tokens.Key{Alg: "RS256", Private: rsaB.Private}).Mint(t, claims("")), ""},
		"kid not in the set, signed by a key of the set": {(&tokens.Key{Kid: "c", Alg: "RS256", Private: rsaA.Private}).Mint(t, claims("")), noKey},
		"kid of another key than the signer":             {(&tokens.Key{Kid: "b", Alg: "RS256", Private: rsaA.Private}).Mint(t, claims("")), "Jwt verification fails"},
		"kid not a string": {
			tokens.Encode(`{"alg":"RS256","kid":7}`) + "." + tokens.Encode(`{}`) + ".c2ln",
			"Jwt header is an invalid Base64url input or an invalid JSON",
		},
	}
	q := e.requirement(t, localProvider("jwks", set))
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.want == "" {
				requireOK(t, q, bearer(tc.token))
				return
			}
			requireFailure(t, q, bearer(tc.token), 401, tc.want)
		})
	}
}

func TestLocalKeyParsing(t *testing.T) {
	keys(t)
	tests := map[string]struct {
		text    string
		n       int
		wantErr string
	}{
		"PEM":                 {rsaA.PublicPEM(t), 1, ""},
		"two PEM blocks":      {rsaA.PublicPEM(t) + ecA.PublicPEM(t), 2, ""},
		"PKCS1 PEM":           {string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rsaA.Public().(*rsa.PublicKey))})), 1, ""},
		"JWK":                 {ecA.JWKJSON(t), 1, ""},
		"JWKS":                {tokens.JWKS(t, rsaA, ecA, hmacA), 3, ""},
		"JWKS skips enc keys": {`{"keys":[` + encJWK(t) + `,` + ecA.JWKJSON(t) + `]}`, 1, ""},
		"empty":               {"  ", 0, "key is empty"},
		"garbage":             {"hello", 0, "neither PEM nor a JWK nor a JWKS"},
		"PEM private key":     {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0, `PEM block "PRIVATE KEY" is not a public key`},
		"PEM without a block": {"-----BEGIN nothing", 0, "no PEM block found"},
		"empty JWKS":          {`{"keys":[]}`, 0, "key set is empty"},
		"JWKS of junk":        {`{"keys":[1]}`, 0, "key 0"},
		"keys not a list":     {`{"keys":{}}`, 0, "parsing JWKS keys"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseLocalKeys(tc.text)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tc.n)
		})
	}
}

func encJWK(t *testing.T) string {
	m := rsaB.JWK(t)
	m["use"] = "enc"
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}
