package authn

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// tokenSources says where a provider reads its token, in order: headers, then query
// parameters.
type tokenSources struct {
	headers []headerSource
	params  []string
}

type headerSource struct {
	name   string // canonical header name
	prefix string
}

// defaultSources is Envoy's default: Authorization with prefix "Bearer ", then the
// access_token query parameter.
var defaultSources = tokenSources{
	headers: []headerSource{{name: "Authorization", prefix: "Bearer "}},
	params:  []string{"access_token"},
}

// compileSources reads a TokenSource. Absent or empty means the default (as in Envoy, a
// provider without explicit locations uses the default ones).
func compileSources(ts *snapshotv1.TokenSource) tokenSources {
	if len(ts.GetHeaders()) == 0 && len(ts.GetQueryParams()) == 0 {
		return defaultSources
	}
	var s tokenSources
	for _, h := range ts.GetHeaders() {
		s.headers = append(s.headers, headerSource{name: http.CanonicalHeaderKey(h.GetHeader()), prefix: h.GetPrefix()})
	}
	s.params = append(s.params, ts.GetQueryParams()...)
	return s
}

// carrier is where a token was found: a header or a query parameter.
type carrier struct {
	header string
	param  string
}

// extract returns the first token found and where it was.
func (s *tokenSources) extract(r *http.Request) (string, carrier, bool) {
	for _, h := range s.headers {
		for _, v := range r.Header[h.name] {
			if tok := fromHeaderValue(v, h.prefix); tok != "" {
				return tok, carrier{header: h.name}, true
			}
		}
	}
	if len(s.params) == 0 || r.URL == nil || r.URL.RawQuery == "" {
		return "", carrier{}, false
	}
	for _, p := range s.params {
		if tok := queryValue(r.URL.RawQuery, p); tok != "" {
			return tok, carrier{param: p}, true
		}
	}
	return "", carrier{}, false
}

// fromHeaderValue removes prefix (compared case-insensitively; a value without it carries
// no token) and, as Envoy does, keeps the leading run of characters a JWT can hold.
func fromHeaderValue(v, prefix string) string {
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return ""
	}
	v = strings.TrimLeft(v[len(prefix):], " \t")
	end := 0
	for end < len(v) && isJWTChar(v[end]) {
		end++
	}
	return v[:end]
}

func isJWTChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '=' || c == '+' || c == '/'
}

// queryValue returns the first non-empty value of name in a raw query.
func queryValue(raw, name string) string {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); err != nil || key != name {
			continue
		}
		if val, err := url.QueryUnescape(v); err == nil && val != "" {
			return val
		}
	}
	return ""
}

// addCarriers appends to cs each place s reads a token from that cs lacks.
func (s *tokenSources) addCarriers(cs []carrier) []carrier {
	add := func(c carrier) {
		if !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	for _, h := range s.headers {
		add(carrier{header: h.name})
	}
	for _, p := range s.params {
		add(carrier{param: p})
	}
	return cs
}

// hasParam reports whether the raw query names the parameter name, with any value.
func hasParam(raw, name string) bool {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); err == nil && key == name {
			return true
		}
	}
	return false
}

// remove deletes the carrier from the request (keepToken false).
func (c carrier) remove(r *http.Request) {
	if c.header != "" {
		r.Header.Del(c.header)
		return
	}
	if r.URL == nil || !hasParam(r.URL.RawQuery, c.param) {
		return
	}
	var kept []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); err == nil && key == c.param {
			continue
		}
		kept = append(kept, part)
	}
	r.URL.RawQuery = strings.Join(kept, "&")
	if r.RequestURI != "" {
		r.RequestURI = r.URL.RequestURI()
	}
}
