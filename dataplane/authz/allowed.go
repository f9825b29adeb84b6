package authz

import (
	"slices"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Model is what a request asks of the model rules (NeedsModel).
type Model struct {
	// Name is the model the request asks for; "" when it names none, and then no model
	// rule holds.
	Name string
	// Listing marks a request for the list of models: a model rule then holds when its
	// claim names any model (a non-empty string, or a list holding one), and the answer
	// is to be filtered with ModelAllowed.
	Listing bool
}

// Allowed reports whether any policy matches the request: its permissions match method
// and path, and one of its principals matches one of the verified tokens. A rule that
// expects the request's model holds for none. A Policy with no policies allows nothing.
// It allocates nothing.
func (p *Policy) Allowed(tokens []Token, method, path string) bool {
	return p.AllowedModel(tokens, method, path, Model{})
}

// AllowedModel is Allowed for a request asking for model.
func (p *Policy) AllowedModel(tokens []Token, method, path string, model Model) bool {
	if p == nil {
		return false
	}
	for i := range p.policies {
		if p.policies[i].matches(tokens, method, path, &model) {
			return true
		}
	}
	return false
}

// ModelAllowed reports whether a request for name (method and path those of the listing
// request) would be allowed: the models a listing answer may show.
func (p *Policy) ModelAllowed(tokens []Token, method, path, name string) bool {
	return name != "" && p.AllowedModel(tokens, method, path, Model{Name: name})
}

func (p *policy) matches(tokens []Token, method, path string, model *Model) bool {
	if p.pathPrefix != "" && !strings.HasPrefix(path, p.pathPrefix) {
		return false
	}
	if len(p.methods) > 0 && !slices.Contains(p.methods, method) {
		return false
	}
	for i := range p.principals {
		if p.principals[i].matches(tokens, model) {
			return true
		}
	}
	return false
}

// matches reports whether every claim rule holds on one token (of the principal's
// provider, when it names one). A principal without claims matches any such token.
func (pr *principal) matches(tokens []Token, model *Model) bool {
	for i := range tokens {
		t := &tokens[i]
		if pr.provider != "" && t.Provider != pr.provider {
			continue
		}
		if pr.matchesToken(t.Claims, model) {
			return true
		}
	}
	return false
}

func (pr *principal) matchesToken(claims map[string]any, model *Model) bool {
	for i := range pr.claims {
		if !pr.claims[i].matches(claims, model) {
			return false
		}
	}
	return true
}

func (c *claimRule) matches(claims map[string]any, model *Model) bool {
	v, ok := ClaimAt(claims, c.path)
	if !ok {
		return false
	}
	if c.requestModel {
		return matchesModel(c.matcher, v, model)
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

// matchesModel reports whether claim v names the request's model: is it (EXACT_STRING)
// or holds it (LIST_CONTAINS); for a listing, names any model.
func matchesModel(m snapshotv1.ClaimMatcher, v any, model *Model) bool {
	if !model.Listing && model.Name == "" {
		return false
	}
	named := func(s string) bool { return s != "" && (model.Listing || s == model.Name) }
	switch m {
	case snapshotv1.ClaimMatcher_EXACT_STRING:
		s, ok := v.(string)
		return ok && named(s)
	case snapshotv1.ClaimMatcher_LIST_CONTAINS:
		list, _ := v.([]any)
		for _, e := range list {
			if s, ok := e.(string); ok && named(s) {
				return true
			}
		}
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
