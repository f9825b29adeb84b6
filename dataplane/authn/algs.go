package authn

import (
	"crypto/elliptic"
)

// algSpec is what a JWS algorithm needs from a key.
type algSpec struct {
	typ   keyType
	curve elliptic.Curve // ES* only
}

// algs are the accepted algorithms. "none" and anything else are refused: no key fits.
var algs = map[string]algSpec{
	"RS256": {typ: keyRSA}, "RS384": {typ: keyRSA}, "RS512": {typ: keyRSA},
	"PS256": {typ: keyRSA}, "PS384": {typ: keyRSA}, "PS512": {typ: keyRSA},
	"ES256": {typ: keyEC, curve: elliptic.P256()},
	"ES384": {typ: keyEC, curve: elliptic.P384()},
	"ES512": {typ: keyEC, curve: elliptic.P521()},
	"EdDSA": {typ: keyEd25519},
	"HS256": {typ: keyOct}, "HS384": {typ: keyOct}, "HS512": {typ: keyOct},
}

// fits reports whether k may verify a token with header alg and kid. As Envoy does: a
// key with a kid serves only tokens with that kid or without one; a key without kid (a
// PEM key, say) serves any; a key with its own alg serves only that alg; and the key's
// type (and curve) must be the one alg needs — an RSA or EC public key is never an HMAC
// secret, and an HMAC secret only comes from a symmetric JWK.
func (k *verifyKey) fits(alg, kid string) bool {
	if kid != "" && k.kid != "" && k.kid != kid {
		return false
	}
	if k.alg != "" && k.alg != alg {
		return false
	}
	spec, ok := algs[alg]
	if !ok || spec.typ != k.typ {
		return false
	}
	return spec.curve == nil || spec.curve == k.curve
}

// fits reports whether any key of the set may verify a token with alg and kid.
func (s *keySet) fits(alg, kid string) bool {
	for i := range s.keys {
		if s.keys[i].fits(alg, kid) {
			return true
		}
	}
	return false
}
