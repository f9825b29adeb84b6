package guard

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// MatchType is how a HeaderMatch's Key is compared with a header name, as the
// webhook's forwardHeaders[].match_type.
type MatchType int

// The match types, as AIPromptGuard.Webhook.HeaderMatch.MatchType names them.
const (
	// MatchExact: the name is the key.
	MatchExact MatchType = iota
	// MatchPrefix: the name starts with the key.
	MatchPrefix
	// MatchSuffix: the name ends with the key.
	MatchSuffix
	// MatchContains: the name contains the key.
	MatchContains
	// MatchRegex: the whole name matches the key, an RE2 pattern (anchored at both ends,
	// as Envoy's string matchers are).
	MatchRegex
)

// String names the match type as the API does.
func (t MatchType) String() string {
	switch t {
	case MatchExact:
		return "EXACT"
	case MatchPrefix:
		return "PREFIX"
	case MatchSuffix:
		return "SUFFIX"
	case MatchContains:
		return "CONTAINS"
	case MatchRegex:
		return "REGEX"
	}
	return fmt.Sprintf("MatchType(%d)", int(t))
}

// HeaderMatch selects client request headers, by name, for a webhook to receive.
//
// HTTP header names are case-insensitive (and Go canonicalizes them, HTTP/2 lowercases
// them), so names are compared in lowercase: Key is lowercased for the literal match
// types, and a MatchRegex pattern is matched case-insensitively. The API's "match is
// case-sensitive" therefore holds for lowercase keys, the form Envoy sees names in.
type HeaderMatch struct {
	Key  string
	Type MatchType
}

// HeaderMatcher is a compiled list of HeaderMatch: it picks the headers a webhook is
// sent. It is immutable and safe for concurrent use; the zero value matches nothing.
//
// Two kinds of headers are kept back whatever matches:
//   - the headers of the webhook call itself (Host, Accept, Content-Type,
//     Content-Length, Accept-Encoding and the hop-by-hop headers): the call sets its own;
//   - credentials (Authorization, Proxy-Authorization, Cookie, X-Api-Key, Api-Key,
//     X-Goog-Api-Key) are forwarded only when a MatchExact names them: a prefix,
//     suffix, contains or regex match never sends a client's key to a webhook.
type HeaderMatcher struct {
	exact map[string]bool
	rules []headerRule
}

type headerRule struct {
	typ MatchType
	key string
	re  *regexp.Regexp
}

// NewHeaderMatcher compiles ms. An empty key, an unknown type or an invalid regex is an
// error naming the entry (forwardHeaders[i]).
func NewHeaderMatcher(ms []HeaderMatch) (*HeaderMatcher, error) {
	hm := &HeaderMatcher{exact: map[string]bool{}}
	for i, m := range ms {
		if m.Key == "" {
			return nil, fmt.Errorf("forwardHeaders[%d]: key is empty", i)
		}
		r := headerRule{typ: m.Type, key: strings.ToLower(m.Key)}
		switch m.Type {
		case MatchExact:
			hm.exact[r.key] = true
			continue
		case MatchPrefix, MatchSuffix, MatchContains:
		case MatchRegex:
			re, err := compileHeaderRegex(m.Key)
			if err != nil {
				return nil, fmt.Errorf("forwardHeaders[%d]: compiling REGEX key: %w", i, err)
			}
			r.re = re
		default:
			return nil, fmt.Errorf("forwardHeaders[%d]: unknown match type %d", i, int(m.Type))
		}
		hm.rules = append(hm.rules, r)
	}
	return hm, nil
}

// compileHeaderRegex compiles p to match a whole name, case-insensitively. p is first
// compiled alone, so that wrapping it cannot make an invalid pattern valid.
func compileHeaderRegex(p string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(p); err != nil {
		return nil, err
	}
	return regexp.Compile(`^(?i:` + p + `)$`)
}

// Matches reports whether a header of that name is forwarded.
func (hm *HeaderMatcher) Matches(name string) bool {
	if hm == nil {
		return false
	}
	name = strings.ToLower(name)
	if headerNeverForwarded[name] {
		return false
	}
	if hm.exact[name] {
		return true
	}
	if headerCredential[name] {
		return false
	}
	for _, r := range hm.rules {
		if r.matches(name) {
			return true
		}
	}
	return false
}

func (r headerRule) matches(name string) bool {
	switch r.typ {
	case MatchPrefix:
		return strings.HasPrefix(name, r.key)
	case MatchSuffix:
		return strings.HasSuffix(name, r.key)
	case MatchContains:
		return strings.Contains(name, r.key)
	case MatchRegex:
		return r.re.MatchString(name)
	}
	return false
}

// Select returns the headers of h that Matches, with all their values, or nil when none
// does. The values are copied: the result does not share memory with h.
func (hm *HeaderMatcher) Select(h http.Header) http.Header {
	if hm == nil || (len(hm.exact) == 0 && len(hm.rules) == 0) {
		return nil
	}
	var out http.Header
	for name, vs := range h {
		if !hm.Matches(name) {
			continue
		}
		if out == nil {
			out = http.Header{}
		}
		out[name] = append([]string(nil), vs...)
	}
	return out
}

// headerNeverForwarded are the headers of the webhook call itself.
var headerNeverForwarded = map[string]bool{
	"host":              true,
	"accept":            true,
	"content-type":      true,
	"content-length":    true,
	"content-encoding":  true,
	"accept-encoding":   true,
	"transfer-encoding": true,
	"connection":        true,
	"keep-alive":        true,
	"proxy-connection":  true,
	"te":                true,
	"trailer":           true,
	"upgrade":           true,
	"expect":            true,
	"http2-settings":    true,
}

// headerCredential are the headers that carry a client's credentials: forwarded only
// when named exactly.
var headerCredential = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"x-api-key":           true,
	"api-key":             true,
	"x-goog-api-key":      true,
}
