package tokens

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/require"
)

func TestSeedFilesLoad(t *testing.T) {
	for name, got := range map[string]string{"alice": Alice(t), "bob": Bob(t), "key": PublicKeyPEM(t)} {
		require.NotEmpty(t, got, name)
		require.Equal(t, strings.TrimSpace(got), got, name)
	}
	require.True(t, strings.HasPrefix(PublicKeyPEM(t), "-----BEGIN PUBLIC KEY-----"))
}

func TestMintVerifiesWithJWK(t *testing.T) {
	keys := map[string]*Key{
		"RS256": NewRSA(t, "r", "RS256"), "PS512": NewRSA(t, "", "PS512"),
		"ES256": NewEC(t, "e", "ES256"), "ES384": NewEC(t, "e3", "ES384"), "ES512": NewEC(t, "e5", "ES512"),
		"EdDSA": NewEd25519(t, "ed"), "HS256": NewHMAC(t, "h", "HS256"),
	}
	for name, k := range keys {
		t.Run(name, func(t *testing.T) {
			tok := k.Mint(t, map[string]any{"sub": "me"})
			pub, err := jwk.ParseKey([]byte(k.JWKJSON(t)))
			require.NoError(t, err)
			payload, err := jws.Verify([]byte(tok), jws.WithKey(jwa.SignatureAlgorithm(k.Alg), pub))
			require.NoError(t, err)
			require.JSONEq(t, `{"sub":"me"}`, string(payload))

			hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
			require.NoError(t, err)
			var h map[string]any
			require.NoError(t, json.Unmarshal(hdr, &h))
			require.Equal(t, k.Alg, h["alg"])
			if k.Kid == "" {
				require.NotContains(t, h, "kid")
			} else {
				require.Equal(t, k.Kid, h["kid"])
			}
		})
	}
}
