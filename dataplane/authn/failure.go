package authn

import (
	"net/http"
	"strings"
)

// Failure is why a request failed authentication; Write answers it.
type Failure struct {
	// Status is 401, or 403 for "Audiences in Jwt are not allowed".
	Status int
	// Body is exactly one of Envoy jwt_authn's messages, e.g. "Jwt is missing".
	Body string
	// Reason is a short label for metrics and logs: missing, malformed, bad_header,
	// bad_payload, issuer, expired, not_yet_valid, no_key, bad_signature, jwks_fetch,
	// audience.
	Reason string
	// InvalidToken adds `, error="invalid_token"` to www-authenticate (every failure except
	// a missing token).
	InvalidToken bool
}

// The failures, one per row of Envoy's table. They are shared values: never modify them.
var (
	failMissing      = &Failure{Status: http.StatusUnauthorized, Body: "Jwt is missing", Reason: "missing"}
	failMalformed    = invalid("Jwt is not in the form of Header.Payload.Signature", "malformed")
	failBadHeader    = invalid("Jwt header is an invalid Base64url input or an invalid JSON", "bad_header")
	failBadPayload   = invalid("Jwt payload is an invalid Base64 or an invalid JSON", "bad_payload")
	failIssuer       = invalid("Jwt issuer is not configured", "issuer")
	failExpired      = invalid("Jwt is expired", "expired")
	failNotYetValid  = invalid("Jwt not yet valid", "not_yet_valid")
	failNoKey        = invalid("Jwks doesn't have key to match kid or alg from Jwt", "no_key")
	failBadSignature = invalid("Jwt verification fails", "bad_signature")
	failJwksFetch    = invalid("Jwks remote fetch is failed", "jwks_fetch")
	failAudience     = &Failure{Status: http.StatusForbidden, Body: "Audiences in Jwt are not allowed", Reason: "audience", InvalidToken: true}
)

func invalid(body, reason string) *Failure {
	return &Failure{Status: http.StatusUnauthorized, Body: body, Reason: reason, InvalidToken: true}
}

// Error makes a Failure usable as an error; it is the body.
func (f *Failure) Error() string { return f.Body }

// Write answers the request: Status, content-type text/plain, the body, and
// www-authenticate: Bearer realm="<scheme>://<host><path>" (plus `, error="invalid_token"`).
// The scheme is https when r.TLS is set; the path is r.URL's path in its escaped form, so
// the realm never holds a quote or a control character.
func (f *Failure) Write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Www-Authenticate", f.challenge(r))
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
}

func (f *Failure) challenge(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(quoteSafe(r.Host))
	b.WriteString(r.URL.EscapedPath())
	b.WriteByte('"')
	if f.InvalidToken {
		b.WriteString(`, error="invalid_token"`)
	}
	return b.String()
}

// quoteSafe drops what cannot stand inside a quoted-string.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
