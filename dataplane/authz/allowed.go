package authz

import (
	"slices"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Allowed reports whether any policy matches the request: its permissions match method
// and path, and one of its principals matches one of the verified tokens. A Policy with
// no policies allows nothing. It allocates nothing.
func (p *Policy) Allowed(tokens []Token, method, path string) bool {
	if p == nil {
		return false
	}
	for i := range p.policies {
		if p.policies[i].matches(tokens, method, path) {
			return true
		}
	}
	return false
}

func (p *policy) matches(tokens []Token, method, path string) bool {
	if p.pathPrefix != "" && !strings.HasPrefix(path, p.pathPrefix) {
		return false
	}
	if len(p.methods) > 0 && !slices.Contains(p.methods, method) {
		return false
	}
	for i := range p.principals {
		if p.principals[i].matches(tokens) {
			return true
		}
	}
	return false
}

// matches reports whether every claim rule holds on one token (of the principal's
// provider, when it names one). A principal without claims matches any such token.
func (pr *principal) matches(tokens []Token) bool {
	for i := range tokens {
		t := &tokens[i]
		if pr.provider != "" && t.Provider != pr.provider {
			continue
		}
		if pr.matchesToken(t.Claims) {
			return true
		}
	}
	return false
}

func (pr *principal) matchesToken(claims map[string]any) bool {
	for i := range pr.claims {
		if !pr.claims[i].matches(claims) {
			return false
		}
	}
	return true
}

func (c *claimRule) matches(claims map[string]any) bool {
	v, ok := ClaimAt(claims, c.path)
	if !ok {
		return false
	}
	switch c.matcher {
	case snapshotv1.ClaimMatcher_EXACT_STRING:
		s, ok := v.(string)
		return ok && s == c.value
	case snapshotv1.ClaimMatcher_BOOLEAN:
		b, ok := v.(bool)
		return ok && b == c.boolean
	case snapshotv1.ClaimMatcher_LIST_CONTAINS:
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			if s, ok := e.(string); ok && s == c.value {
				return true
			}
		}
		return false
	case snapshotv1.ClaimMatcher_REGEX_MATCH:
		s, ok := v.(string)
		return ok && c.re.MatchString(s)
	}
	return false
}

// ClaimAt walks path through nested JSON objects of decoded claims. authn uses it for
// claimsToHeaders.
func ClaimAt(claims map[string]any, path []string) (any, bool) {
	var cur any = claims
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}
