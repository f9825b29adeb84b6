package authn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// keyType is the family of a verification key.
type keyType int

const (
	keyRSA keyType = iota + 1
	keyEC
	keyEd25519
	keyOct
)

// verifyKey is one usable verification key.
type verifyKey struct {
	kid string
	// alg is the key's own "alg" (JWK only); empty means any algorithm of its type.
	alg   string
	typ   keyType
	curve elliptic.Curve // keyEC only
	// raw is *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or []byte (oct).
	raw any
}

// keySet is an immutable set of keys. gen changes whenever a remote set's content does,
// so that the verified-token cache never serves a token checked against an older set.
type keySet struct {
	keys []verifyKey
	gen  uint64
}

// parseLocalKeys reads inline key material: PEM public keys (PKIX, PKCS#1 or a
// certificate), one JWK, or a JWKS document.
func parseLocalKeys(text string) ([]verifyKey, error) {
	s := strings.TrimSpace(text)
	switch {
	case s == "":
		return nil, errors.New("key is empty")
	case strings.HasPrefix(s, "-----BEGIN"):
		return parsePEMKeys([]byte(s))
	case strings.HasPrefix(s, "{"):
		return parseJWKText([]byte(s))
	}
	return nil, errors.New("key is neither PEM nor a JWK nor a JWKS")
}

func parsePEMKeys(b []byte) ([]verifyKey, error) {
	var out []verifyKey
	for {
		block, rest := pem.Decode(b)
		if block == nil {
			break
		}
		b = rest
		pub, err := pemPublicKey(block)
		if err != nil {
			return nil, err
		}
		k, err := fromPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: %w", block.Type, err)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM block found")
	}
	return out, nil
}

func pemPublicKey(block *pem.Block) (any, error) {
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PEM public key: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PEM RSA public key: %w", err)
		}
		return k, nil
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PEM certificate: %w", err)
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
}

// fromPublicKey infers a key's type from the Go type (PEM keys carry no alg).
func fromPublicKey(pub any) (verifyKey, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return verifyKey{typ: keyRSA, raw: k}, nil
	case *ecdsa.PublicKey:
		return verifyKey{typ: keyEC, curve: k.Curve, raw: k}, nil
	case ed25519.PublicKey:
		return verifyKey{typ: keyEd25519, raw: k}, nil
	}
	return verifyKey{}, fmt.Errorf("unsupported public key type %T", pub)
}

// parseJWKText reads one JWK or a JWKS ({"keys": [...]}). Keys that cannot verify
// signatures (encryption keys, unsupported types) are skipped; a set with no usable key
// is an error.
func parseJWKText(b []byte) ([]verifyKey, error) {
	var probe struct {
		Keys json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("parsing JWK JSON: %w", err)
	}
	var raws []json.RawMessage
	if probe.Keys != nil {
		if err := json.Unmarshal(probe.Keys, &raws); err != nil {
			return nil, fmt.Errorf("parsing JWKS keys: %w", err)
		}
	} else {
		raws = []json.RawMessage{b}
	}
	var out []verifyKey
	var firstErr error
	for i, r := range raws {
		k, err := parseJWK(r)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("key %d: %w", i, err)
			}
			continue
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = errors.New("key set is empty")
		}
		return nil, firstErr
	}
	return out, nil
}

func parseJWK(b []byte) (verifyKey, error) {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return verifyKey{}, errors.New("key is null")
	}
	key, err := jwk.ParseKey(b)
	if err != nil {
		return verifyKey{}, fmt.Errorf("parsing JWK: %w", err)
	}
	if key.KeyUsage() == "enc" {
		return verifyKey{}, errors.New(`key has "use": "enc"`)
	}
	var k verifyKey
	if key.KeyType() == "oct" {
		var secret []byte
		if err := key.Raw(&secret); err != nil || len(secret) == 0 {
			return verifyKey{}, errors.New("symmetric key has no secret")
		}
		k = verifyKey{typ: keyOct, raw: secret}
	} else {
		pub, err := jwk.PublicRawKeyOf(key)
		if err != nil {
			return verifyKey{}, fmt.Errorf("reading JWK public key: %w", err)
		}
		if k, err = fromPublicKey(pub); err != nil {
			return verifyKey{}, err
		}
	}
	k.kid = key.KeyID()
	if a := key.Algorithm(); a != nil {
		k.alg = a.String()
	}
	return k, nil
}
