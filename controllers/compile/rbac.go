package compile

import (
	"fmt"
	"regexp"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// compileRbac compiles options.rbac. It returns nil when rbac is disabled (no
// authorization). When any part cannot be compiled, it returns an Rbac with no
// policies, which denies every request, and the problems: it fails closed.
func compileRbac(r *gatewayv1.Rbac) (*snapshotv1.Rbac, problems) {
	if r.Disable {
		return nil, nil
	}
	names := make([]string, 0, len(r.Policies))
	for name := range r.Policies {
		names = append(names, name)
	}
	slices.Sort(names)
	out := &snapshotv1.Rbac{}
	var probs problems
	for _, name := range names {
		pol := r.Policies[name]
		p := compilePolicy(name, &pol, &probs)
		if len(p.Principals) > 0 {
			out.Policies = append(out.Policies, p)
		}
	}
	if len(probs) > 0 {
		return &snapshotv1.Rbac{}, probs
	}
	return out, nil
}

// compilePolicy compiles one policy. A principal without jwtPrincipal can match no one
// and is left out; a policy left without principals is left out too.
func compilePolicy(name string, pol *gatewayv1.RbacPolicy, probs *problems) *snapshotv1.RbacPolicy {
	out := &snapshotv1.RbacPolicy{Name: name, NestedClaimDelimiter: pol.NestedClaimDelimiter}
	if pol.Permissions != nil {
		out.Permissions = &snapshotv1.Permissions{PathPrefix: pol.Permissions.PathPrefix, Methods: pol.Permissions.Methods}
	}
	for i, pr := range pol.Principals {
		if pr.JwtPrincipal == nil {
			continue
		}
		field := func() string { return fmt.Sprintf("rbac.policies.%s.principals[%d].jwtPrincipal", name, i) }
		jp := compileJwtPrincipal(pr.JwtPrincipal, field, probs)
		out.Principals = append(out.Principals, &snapshotv1.Principal{JwtPrincipal: jp})
	}
	return out
}

func compileJwtPrincipal(jp *gatewayv1.JwtPrincipal, field func() string, probs *problems) *snapshotv1.JwtPrincipal {
	matcher, ok := claimMatchers[jp.Matcher]
	if !ok {
		probs.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s.matcher %q is not one of EXACT_STRING, BOOLEAN, LIST_CONTAINS, REGEX_MATCH", field(), jp.Matcher))
	}
	out := &snapshotv1.JwtPrincipal{Matcher: matcher, Provider: jp.Provider}
	keys := make([]string, 0, len(jp.Claims))
	for k := range jp.Claims {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := claimValue(jp.Claims[k])
		if err == nil && v == gatewayv1.RequestModelClaim {
			if matcher != snapshotv1.ClaimMatcher_EXACT_STRING && matcher != snapshotv1.ClaimMatcher_LIST_CONTAINS {
				probs.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s.claims[%s]: %s needs the matcher EXACT_STRING or LIST_CONTAINS, not %s; every request to the routes it covers is denied until this is fixed",
					field(), k, gatewayv1.RequestModelClaim, matcher))
				continue
			}
			out.Claims = append(out.Claims, &snapshotv1.Claim{Key: k, RequestModel: true})
			continue
		}
		if err == nil {
			err = checkClaimValue(matcher, v)
		}
		if err != nil {
			probs.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s.claims[%s]: %v; every request to the routes it covers is denied until this is fixed", field(), k, err))
			continue
		}
		out.Claims = append(out.Claims, &snapshotv1.Claim{Key: k, Value: v})
	}
	return out
}

var claimMatchers = map[gatewayv1.ClaimMatcher]snapshotv1.ClaimMatcher{
	"":                     snapshotv1.ClaimMatcher_EXACT_STRING,
	gatewayv1.ExactString:  snapshotv1.ClaimMatcher_EXACT_STRING,
	gatewayv1.Boolean:      snapshotv1.ClaimMatcher_BOOLEAN,
	gatewayv1.ListContains: snapshotv1.ClaimMatcher_LIST_CONTAINS,
	gatewayv1.RegexMatch:   snapshotv1.ClaimMatcher_REGEX_MATCH,
}

// checkClaimValue checks a value against its matcher: BOOLEAN needs true or false,
// REGEX_MATCH an RE2 expression that compiles.
func checkClaimValue(m snapshotv1.ClaimMatcher, v string) error {
	switch m {
	case snapshotv1.ClaimMatcher_BOOLEAN:
		if v != "true" && v != "false" {
			return fmt.Errorf("value %q is not true or false, as the BOOLEAN matcher needs", v)
		}
	case snapshotv1.ClaimMatcher_REGEX_MATCH:
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Errorf("value %q is not a valid RE2 expression: %w", v, err)
		}
	}
	return nil
}

// claimValue is gatewayv1.ClaimValueString with a fast path for the common plain
// JSON string and boolean, which need no decoding.
func claimValue(v apiextensionsv1.JSON) (string, error) {
	raw := v.Raw
	switch {
	case string(raw) == "true" || string(raw) == "false":
		return string(raw), nil
	case len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && plainJSONString(raw[1:len(raw)-1]):
		return string(raw[1 : len(raw)-1]), nil
	}
	return gatewayv1.ClaimValueString(v)
}

// plainJSONString reports whether b needs no JSON unescaping: printable ASCII without
// quotes or backslashes.
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
