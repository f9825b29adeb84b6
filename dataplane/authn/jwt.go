package authn

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// jwt is a token's header and payload, decoded but not verified.
type jwt struct {
	raw    string
	alg    string
	kid    string
	iss    string
	hasIss bool
	aud    []string
	exp    float64
	hasExp bool
	nbf    float64
	hasNbf bool
	claims map[string]any
}

// parseJWT decodes a compact JWS's header and payload. Its failures are Envoy's:
// malformed, bad header, bad payload.
func parseJWT(tok string) (*jwt, *Failure) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return nil, failMalformed
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig, ".") {
		return nil, failMalformed
	}
	t := &jwt{raw: tok}
	if !t.decodeHeader(h) {
		return nil, failBadHeader
	}
	if !t.decodePayload(p) {
		return nil, failBadPayload
	}
	return t, nil
}

func decodeSegment(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	return b, err == nil
}

func (t *jwt) decodeHeader(seg string) bool {
	b, ok := decodeSegment(seg)
	if !ok {
		return false
	}
	var h struct {
		Alg *string `json:"alg"`
		Kid *string `json:"kid"`
	}
	if json.Unmarshal(b, &h) != nil || h.Alg == nil {
		return false
	}
	t.alg = *h.Alg
	if h.Kid != nil {
		t.kid = *h.Kid
	}
	return true
}

// decodePayload decodes the claims and the registered ones authn checks: iss (string),
// aud (string or list of strings), exp and nbf (numbers).
func (t *jwt) decodePayload(seg string) bool {
	b, ok := decodeSegment(seg)
	if !ok {
		return false
	}
	if json.Unmarshal(b, &t.claims) != nil || t.claims == nil {
		return false
	}
	if v, ok := t.claims["iss"]; ok {
		if t.iss, ok = v.(string); !ok {
			return false
		}
		t.hasIss = true
	}
	if v, ok := t.claims["aud"]; ok && !t.setAudiences(v) {
		return false
	}
	if t.exp, t.hasExp, ok = number(t.claims, "exp"); !ok {
		return false
	}
	if t.nbf, t.hasNbf, ok = number(t.claims, "nbf"); !ok {
		return false
	}
	return true
}

func (t *jwt) setAudiences(v any) bool {
	switch a := v.(type) {
	case string:
		t.aud = []string{a}
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return false
			}
			t.aud = append(t.aud, s)
		}
	default:
		return false
	}
	return true
}

// number reads an optional numeric claim; ok is false when it is present but not a number.
func number(claims map[string]any, name string) (v float64, present, ok bool) {
	raw, present := claims[name]
	if !present {
		return 0, false, true
	}
	v, ok = raw.(float64)
	return v, true, ok
}
