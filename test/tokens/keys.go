package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/stretchr/testify/require"
)

// Key is a signing key with the algorithm it signs with and an optional kid.
type Key struct {
	// Kid is put in the header of every token this key mints (omitted when empty) and in
	// its JWK.
	Kid string
	// Alg is the JWS algorithm: RS256, PS384, ES256, EdDSA, HS256, ...
	Alg string
	// Private signs: *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey or []byte.
	Private any
	// JWKWithoutAlg leaves "alg" out of the key's JWK.
	JWKWithoutAlg bool
}

// NewRSA returns a 2048-bit RSA key for alg (RS256..RS512, PS256..PS512).
func NewRSA(tb testing.TB, kid, alg string) *Key {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return &Key{Kid: kid, Alg: alg, Private: k}
}

// NewEC returns an ECDSA key on the curve alg needs (ES256 P-256, ES384 P-384, ES512 P-521).
func NewEC(tb testing.TB, kid, alg string) *Key {
	tb.Helper()
	curves := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}
	c, ok := curves[alg]
	if !ok {
		tb.Fatalf("NewEC: %q is not an ECDSA algorithm", alg)
	}
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return &Key{Kid: kid, Alg: alg, Private: k}
}

// NewEd25519 returns an Ed25519 key (alg EdDSA).
func NewEd25519(tb testing.TB, kid string) *Key {
	tb.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return &Key{Kid: kid, Alg: "EdDSA", Private: k}
}

// NewHMAC returns a random 32-byte secret for alg (HS256, HS384, HS512).
func NewHMAC(tb testing.TB, kid, alg string) *Key {
	tb.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return &Key{Kid: kid, Alg: alg, Private: b}
}

// Public returns the verification key: the public half, or the secret of an HMAC key.
func (k *Key) Public() any {
	switch p := k.Private.(type) {
	case crypto.Signer:
		return p.Public()
	default:
		return k.Private
	}
}

// PublicPEM returns the public key as a PKIX "PUBLIC KEY" PEM block.
func (k *Key) PublicPEM(tb testing.TB) string {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// JWK returns the public key (or the HMAC secret) as a JWK with kid, alg and use "sig".
func (k *Key) JWK(tb testing.TB) map[string]any {
	tb.Helper()
	key, err := jwk.FromRaw(k.Public())
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(key)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	if k.Kid != "" {
		m["kid"] = k.Kid
	}
	if !k.JWKWithoutAlg {
		m["alg"] = k.Alg
	}
	m["use"] = "sig"
	return m
}

// JWKJSON returns JWK as a JSON document.
func (k *Key) JWKJSON(tb testing.TB) string {
	tb.Helper()
	return mustJSON(tb, k.JWK(tb))
}

// JWKS returns a JWKS document holding the keys' JWKs.
func JWKS(tb testing.TB, keys ...*Key) string {
	tb.Helper()
	list := make([]any, 0, len(keys))
	for _, k := range keys {
		list = append(list, k.JWK(tb))
	}
	return mustJSON(tb, map[string]any{"keys": list})
}

// Mint returns a token with the given claims, signed by k, with header
// {"alg": k.Alg, "typ": "JWT", "kid": k.Kid (when set)}.
func (k *Key) Mint(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	h := map[string]any{"alg": k.Alg, "typ": "JWT"}
	if k.Kid != "" {
		h["kid"] = k.Kid
	}
	return k.MintWithHeader(tb, h, claims)
}

// MintWithHeader returns a token with exactly the given header and claims, signed by k
// with k.Alg (whatever the header says).
func (k *Key) MintWithHeader(tb testing.TB, header, claims map[string]any) string {
	tb.Helper()
	input := Encode(mustJSON(tb, header)) + "." + Encode(mustJSON(tb, claims))
	sig, err := Sign(k.Alg, k.Private, []byte(input))
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Encode is base64url without padding, as JWTs use.
func Encode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Sign signs input with alg and key (a private key, or the secret for HS*). It lets tests
// forge tokens, e.g. an HS256 token whose secret is a public key's PEM text.
func Sign(alg string, key any, input []byte) ([]byte, error) {
	hf, err := hashOf(alg)
	if err != nil {
		return nil, err
	}
	switch alg[:2] {
	case "HS":
		secret, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("%s needs a []byte secret, got %T", alg, key)
		}
		m := hmac.New(hf.New, secret)
		m.Write(input)
		return m.Sum(nil), nil
	case "Ed":
		priv, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("EdDSA needs an ed25519.PrivateKey, got %T", key)
		}
		return ed25519.Sign(priv, input), nil
	}
	digest := digestOf(hf, input)
	switch alg[:2] {
	case "RS", "PS":
		priv, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s needs an *rsa.PrivateKey, got %T", alg, key)
		}
		if alg[0] == 'P' {
			return rsa.SignPSS(rand.Reader, priv, hf, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, priv, hf, digest)
	case "ES":
		priv, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s needs an *ecdsa.PrivateKey, got %T", alg, key)
		}
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
		if err != nil {
			return nil, err
		}
		size := (priv.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}

func hashOf(alg string) (crypto.Hash, error) {
	if alg == "EdDSA" {
		return crypto.SHA512, nil
	}
	if len(alg) != 5 {
		return 0, fmt.Errorf("unsupported algorithm %q", alg)
	}
	switch alg[2:] {
	case "256":
		return crypto.SHA256, nil
	case "384":
		return crypto.SHA384, nil
	case "512":
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("unsupported algorithm %q", alg)
}

func digestOf(h crypto.Hash, input []byte) []byte {
	var d hash.Hash
	switch h {
	case crypto.SHA384:
		d = sha512.New384()
	case crypto.SHA512:
		d = sha512.New()
	default:
		d = sha256.New()
	}
	d.Write(input)
	return d.Sum(nil)
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// ParseCertificate decodes the first PEM block of b as an X.509 certificate.
func ParseCertificate(tb testing.TB, b []byte) *x509.Certificate {
	tb.Helper()
	block, _ := pem.Decode(b)
	require.NotNil(tb, block, "no PEM block")
	c, err := x509.ParseCertificate(block.Bytes)
	require.NoError(tb, err)
	return c
}
