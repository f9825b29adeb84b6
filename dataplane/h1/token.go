package h1

import (
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// validToken reports whether s is a non-empty RFC 9110 token (a method or a field
// name).
func validToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }

// validFieldValue reports whether s holds no control byte but tab (obs-text allowed).
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validTarget reports whether a request target holds no space nor control byte.
func validTarget(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHostValue reports whether h may be sent as Host: no space, control byte, nor
// any of the bytes that would end or split the field or the authority.
func validHostValue(h string) bool {
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '@' || c == '\\' {
			return false
		}
	}
	return true
}

// wantsClose reports whether a Connection field of h lists "close".
func wantsClose(h http.Header) bool { return hasToken(h["Connection"], "close") }

// hasToken reports whether one of the comma-separated lists vs holds token (in any case).
func hasToken(vs []string, token string) bool {
	for _, v := range vs {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(trimOWS(t), token) {
				return true
			}
		}
	}
	return false
}

// canonicalKey is name in canonical form ("content-type" → "Content-Type"), without
// allocating when it already is, or when it is a common field name.
func canonicalKey(name string) string {
	upper := true
	canonical := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
			break
		}
		upper = c == '-'
	}
	if canonical || len(name) > 64 {
		if !canonical {
			return http.CanonicalHeaderKey(name)
		}
		return name
	}
	var buf [64]byte
	b := buf[:len(name)]
	upper = true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if k, ok := commonKeys[string(b)]; ok {
		return k
	}
	return string(b)
}

// commonKeys interns the field names upstreams commonly send.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept-Ranges", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Age",
		"Alt-Svc", "Cache-Control", "Cf-Cache-Status", "Cf-Ray", "Connection", "Content-Encoding",
		"Content-Language", "Content-Length", "Content-Type", "Date", "Etag", "Expires",
		"Keep-Alive", "Last-Modified", "Location", "Openai-Model", "Openai-Organization",
		"Openai-Processing-Ms", "Openai-Version", "Request-Id", "Retry-After", "Server",
		"Set-Cookie", "Strict-Transport-Security", "Trailer", "Transfer-Encoding", "Vary",
		"Via", "X-Content-Type-Options", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Limit-Tokens",
		"X-Ratelimit-Remaining-Requests", "X-Ratelimit-Remaining-Tokens",
		"X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens", "X-Request-Id",
	} {
		m[k] = k
	}
	return m
}()
