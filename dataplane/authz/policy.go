package authz

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Policy is a compiled *snapshotv1.Rbac: regexes compiled, claim paths split, methods
// upper-cased. It is immutable and safe for concurrent use.
type Policy struct {
	policies []policy
	// needsModel is set when a claim rule expects the request's model.
	needsModel bool
}

type policy struct {
	name       string
	principals []principal
	pathPrefix string
	methods    []string
}

// principal is a compiled jwtPrincipal: every claim must match on one token, of provider
// when provider is set.
type principal struct {
	provider string
	claims   []claimRule
}

type claimRule struct {
	// requestModel: the claim must be the request's model, or a list holding it.
	requestModel bool
	path         []string
	matcher      snapshotv1.ClaimMatcher
	value        string
	boolean      bool
	re           *regexp.Regexp
}

// Compile validates and precompiles an Rbac. An error names the policy and the field.
// A nil Rbac or one without policies compiles to a Policy that denies every request.
func Compile(r *snapshotv1.Rbac) (*Policy, error) {
	out := &Policy{}
	for i, p := range r.GetPolicies() {
		cp, err := compilePolicy(p)
		if err != nil {
			return nil, fmt.Errorf("rbac policy %q (#%d): %w", p.GetName(), i, err)
		}
		out.policies = append(out.policies, cp)
		for _, pr := range cp.principals {
			for _, c := range pr.claims {
				out.needsModel = out.needsModel || c.requestModel
			}
		}
	}
	return out, nil
}

// NeedsModel reports whether a rule expects the request's model: the proxy must then
// know it (AllowedModel) before authorizing.
func (p *Policy) NeedsModel() bool { return p != nil && p.needsModel }

func compilePolicy(p *snapshotv1.RbacPolicy) (policy, error) {
	cp := policy{
		name:       p.GetName(),
		pathPrefix: p.GetPermissions().GetPathPrefix(),
	}
	for _, m := range p.GetPermissions().GetMethods() {
		cp.methods = append(cp.methods, strings.ToUpper(m))
	}
	for i, pr := range p.GetPrincipals() {
		jp := pr.GetJwtPrincipal()
		if jp == nil {
			return policy{}, fmt.Errorf("principals[%d]: jwtPrincipal is required", i)
		}
		cpr := principal{provider: jp.GetProvider()}
		for _, c := range jp.GetClaims() {
			rule, err := compileClaim(c, jp.GetMatcher(), p.GetNestedClaimDelimiter())
			if err != nil {
				return policy{}, fmt.Errorf("principals[%d].jwtPrincipal.claims[%q]: %w", i, c.GetKey(), err)
			}
			cpr.claims = append(cpr.claims, rule)
		}
		cp.principals = append(cp.principals, cpr)
	}
	return cp, nil
}

func compileClaim(c *snapshotv1.Claim, m snapshotv1.ClaimMatcher, delim string) (claimRule, error) {
	if c.GetKey() == "" {
		return claimRule{}, errors.New("key is empty")
	}
	rule := claimRule{matcher: m, value: c.GetValue(), path: []string{c.GetKey()}, requestModel: c.GetRequestModel()}
	if delim != "" {
		rule.path = strings.Split(c.GetKey(), delim)
	}
	if rule.requestModel {
		if m != snapshotv1.ClaimMatcher_EXACT_STRING && m != snapshotv1.ClaimMatcher_LIST_CONTAINS {
			return claimRule{}, fmt.Errorf("request_model needs the matcher EXACT_STRING or LIST_CONTAINS, not %s", m)
		}
		return rule, nil
	}
	switch m {
	case snapshotv1.ClaimMatcher_EXACT_STRING, snapshotv1.ClaimMatcher_LIST_CONTAINS:
	case snapshotv1.ClaimMatcher_BOOLEAN:
		switch strings.ToLower(strings.Trim(c.GetValue(), `"`)) {
		case "true":
			rule.boolean = true
		case "false":
		default:
			return claimRule{}, fmt.Errorf("matcher BOOLEAN needs value true or false, got %q", c.GetValue())
		}
	case snapshotv1.ClaimMatcher_REGEX_MATCH:
		re, err := regexp.Compile(`^(?:` + c.GetValue() + `)$`)
		if err != nil {
			return claimRule{}, fmt.Errorf("matcher REGEX_MATCH: invalid RE2 expression: %w", err)
		}
		rule.re = re
	default:
		return claimRule{}, fmt.Errorf("unknown matcher %v", m)
	}
	return rule, nil
}
