package authz

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/tokens"
)

// claimsOf decodes a token's payload (no verification: authz only sees verified claims).
func claimsOf(t testing.TB, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func jsonClaims(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	return m
}

// tutorialRbac is the tutorial's RouteOption rule as the compiler emits it.
func tutorialRbac() *snapshotv1.Rbac {
	return &snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name:                 "viewer",
		NestedClaimDelimiter: ".",
		Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims:  []*snapshotv1.Claim{{Key: "llms.openai", Value: "gpt-3.5-turbo"}},
			Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS,
		}}},
	}}}
}

func TestTutorialPolicy(t *testing.T) {
	p, err := Compile(tutorialRbac())
	require.NoError(t, err)
	alice := []Token{{Provider: "selfminted", Claims: claimsOf(t, tokens.Alice(t))}}
	bob := []Token{{Provider: "selfminted", Claims: claimsOf(t, tokens.Bob(t))}}
	require.True(t, p.Allowed(alice, "POST", "/openai"))
	require.False(t, p.Allowed(bob, "POST", "/openai"))
	require.False(t, p.Allowed(nil, "POST", "/openai"))
}

func principalRbac(delim string, m snapshotv1.ClaimMatcher, provider string, claims ...string) *snapshotv1.Rbac {
	jp := &snapshotv1.JwtPrincipal{Matcher: m, Provider: provider}
	for i := 0; i+1 < len(claims); i += 2 {
		jp.Claims = append(jp.Claims, &snapshotv1.Claim{Key: claims[i], Value: claims[i+1]})
	}
	return &snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "p", NestedClaimDelimiter: delim,
		Principals: []*snapshotv1.Principal{{JwtPrincipal: jp}},
	}}}
}

func TestClaimMatching(t *testing.T) {
	const claims = `{"sub":"alice","team":"dev","admin":true,"staff":false,"n":3,
		"groups":["a","b"],"llms":{"openai":["gpt-4o"]},"llms.openai":["literal"],
		"deep":{"x":{"y":"z"}},"str_true":"true","email":"alice@example.com"}`
	tests := map[string]struct {
		rbac *snapshotv1.Rbac
		want bool
	}{
		"exact match":                 {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "alice"), true},
		"exact mismatch":              {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "bob"), false},
		"exact on a number":           {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "n", "3"), false},
		"exact on a list":             {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "groups", "a"), false},
		"missing claim":               {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "nope", "x"), false},
		"all claims must match (AND)": {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "alice", "team", "ops"), false},
		"all claims match":            {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "alice", "team", "dev"), true},
		"boolean true":                {principalRbac("", snapshotv1.ClaimMatcher_BOOLEAN, "", "admin", "true"), true},
		"boolean quoted true":         {principalRbac("", snapshotv1.ClaimMatcher_BOOLEAN, "", "admin", `"true"`), true},
		"boolean false matches false": {principalRbac("", snapshotv1.ClaimMatcher_BOOLEAN, "", "staff", "false"), true},
		"boolean false vs true":       {principalRbac("", snapshotv1.ClaimMatcher_BOOLEAN, "", "admin", "false"), false},
		"boolean on a string claim":   {principalRbac("", snapshotv1.ClaimMatcher_BOOLEAN, "", "str_true", "true"), false},
		"list contains":               {principalRbac("", snapshotv1.ClaimMatcher_LIST_CONTAINS, "", "groups", "b"), true},
		"list does not contain":       {principalRbac("", snapshotv1.ClaimMatcher_LIST_CONTAINS, "", "groups", "c"), false},
		"list contains on a string":   {principalRbac("", snapshotv1.ClaimMatcher_LIST_CONTAINS, "", "sub", "alice"), false},
		"regex whole match":           {principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "email", `.*@example\.com`), true},
		"regex is anchored at start":  {principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "email", `example\.com`), false},
		"regex is anchored at end":    {principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "email", `alice`), false},
		"regex alternation anchored":  {principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "sub", `bob|ali`), false},
		"regex alternation whole":     {principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "sub", `bob|alice`), true},
		"regex on a number":           {principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "n", `3`), false},
		"nested path with delimiter":  {principalRbac(".", snapshotv1.ClaimMatcher_LIST_CONTAINS, "", "llms.openai", "gpt-4o"), true},
		"literal key without delim":   {principalRbac("", snapshotv1.ClaimMatcher_LIST_CONTAINS, "", "llms.openai", "literal"), true},
		"literal key is not a path":   {principalRbac("", snapshotv1.ClaimMatcher_LIST_CONTAINS, "", "llms.openai", "gpt-4o"), false},
		"other delimiter":             {principalRbac("/", snapshotv1.ClaimMatcher_EXACT_STRING, "", "deep/x/y", "z"), true},
		"path through a non-object":   {principalRbac(".", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub.x", "alice"), false},
		"provider matches":            {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "p1", "sub", "alice"), true},
		"provider differs":            {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "p2", "sub", "alice"), false},
		"no claims, any token":        {principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, ""), true},
		"no policies denies":          {&snapshotv1.Rbac{}, false},
		"policy without principals":   {&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{Name: "empty"}}}, false},
	}
	toks := []Token{{Provider: "p1", Claims: jsonClaims(t, claims)}}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Compile(tc.rbac)
			require.NoError(t, err)
			require.Equal(t, tc.want, p.Allowed(toks, "GET", "/"))
		})
	}
}

func TestNoTokenDenies(t *testing.T) {
	p, err := Compile(principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, ""))
	require.NoError(t, err)
	require.False(t, p.Allowed(nil, "GET", "/"))
	var nilPolicy *Policy
	require.False(t, nilPolicy.Allowed([]Token{{Claims: map[string]any{}}}, "GET", "/"))
}

func TestClaimsComeFromOneToken(t *testing.T) {
	p, err := Compile(principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "alice", "team", "dev"))
	require.NoError(t, err)
	split := []Token{
		{Provider: "a", Claims: map[string]any{"sub": "alice"}},
		{Provider: "b", Claims: map[string]any{"team": "dev"}},
	}
	require.False(t, p.Allowed(split, "GET", "/"))
	both := append(slices.Clone(split), Token{Provider: "c", Claims: map[string]any{"sub": "alice", "team": "dev"}})
	require.True(t, p.Allowed(both, "GET", "/"))
}

func TestProviderRestrictionPicksTheRightToken(t *testing.T) {
	p, err := Compile(principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "corp", "sub", "alice"))
	require.NoError(t, err)
	other := Token{Provider: "partner", Claims: map[string]any{"sub": "alice"}}
	corp := Token{Provider: "corp", Claims: map[string]any{"sub": "bob"}}
	require.False(t, p.Allowed([]Token{other, corp}, "GET", "/"))
	corp.Claims = map[string]any{"sub": "alice"}
	require.True(t, p.Allowed([]Token{other, corp}, "GET", "/"))
}

func TestPermissions(t *testing.T) {
	rbac := func(prefix string, methods ...string) *snapshotv1.Rbac {
		r := principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "alice")
		r.Policies[0].Permissions = &snapshotv1.Permissions{PathPrefix: prefix, Methods: methods}
		return r
	}
	tests := map[string]struct {
		rbac         *snapshotv1.Rbac
		method, path string
		want         bool
	}{
		"empty permissions match all": {rbac(""), "DELETE", "/anything", true},
		"prefix matches":              {rbac("/openai"), "GET", "/openai/v1/chat", true},
		"prefix does not match":       {rbac("/openai"), "GET", "/mistral", false},
		"method matches":              {rbac("", "POST"), "POST", "/x", true},
		"method upper-cased":          {rbac("", "post"), "POST", "/x", true},
		"method does not match":       {rbac("", "POST", "PUT"), "GET", "/x", false},
		"both must match":             {rbac("/openai", "POST"), "GET", "/openai", false},
		"both match":                  {rbac("/openai", "POST"), "POST", "/openai", true},
	}
	toks := []Token{{Claims: map[string]any{"sub": "alice"}}}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Compile(tc.rbac)
			require.NoError(t, err)
			require.Equal(t, tc.want, p.Allowed(toks, tc.method, tc.path))
		})
	}
}

func TestAnyPolicyMatches(t *testing.T) {
	r := principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "bob")
	r.Policies = append(r.Policies, principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "sub", "alice").Policies...)
	p, err := Compile(r)
	require.NoError(t, err)
	require.True(t, p.Allowed([]Token{{Claims: map[string]any{"sub": "alice"}}}, "GET", "/"))
	require.False(t, p.Allowed([]Token{{Claims: map[string]any{"sub": "carol"}}}, "GET", "/"))
}

func TestCompileErrors(t *testing.T) {
	tests := map[string]struct {
		rbac    *snapshotv1.Rbac
		wantErr string
	}{
		"bad regex": {
			principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "", "sub", "("),
			`rbac policy "p" (#0): principals[0].jwtPrincipal.claims["sub"]: matcher REGEX_MATCH: invalid RE2 expression`,
		},
		"bad boolean": {
			principalRbac("", snapshotv1.ClaimMatcher_BOOLEAN, "", "admin", "yes"),
			`rbac policy "p" (#0): principals[0].jwtPrincipal.claims["admin"]: matcher BOOLEAN needs value true or false, got "yes"`,
		},
		"empty key": {
			principalRbac("", snapshotv1.ClaimMatcher_EXACT_STRING, "", "", "x"),
			`claims[""]: key is empty`,
		},
		"missing jwtPrincipal": {
			&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{Name: "p", Principals: []*snapshotv1.Principal{{}}}}},
			`rbac policy "p" (#0): principals[0]: jwtPrincipal is required`,
		},
		"unknown matcher": {principalRbac("", snapshotv1.ClaimMatcher(42), "", "sub", "x"), "unknown matcher"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Compile(tc.rbac)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestAllowedAllocatesNothing(t *testing.T) {
	r := tutorialRbac()
	r.Policies = append(r.Policies, principalRbac("", snapshotv1.ClaimMatcher_REGEX_MATCH, "other", "sub", "a.*").Policies...)
	r.Policies[1].Permissions = &snapshotv1.Permissions{PathPrefix: "/", Methods: []string{"GET"}}
	p, err := Compile(r)
	require.NoError(t, err)
	alice := []Token{{Provider: "selfminted", Claims: claimsOf(t, tokens.Alice(t))}}
	bob := []Token{{Provider: "other", Claims: claimsOf(t, tokens.Bob(t))}}
	for name, toks := range map[string][]Token{"alice": alice, "bob": bob} {
		allocs := testing.AllocsPerRun(1000, func() { p.Allowed(toks, "GET", "/openai") })
		require.Zero(t, allocs, name)
	}
}

func BenchmarkAllowedTutorial(b *testing.B) {
	p, err := Compile(tutorialRbac())
	require.NoError(b, err)
	alice := []Token{{Provider: "selfminted", Claims: claimsOf(b, tokens.Alice(b))}}
	b.ReportAllocs()
	for b.Loop() {
		if !p.Allowed(alice, "POST", "/openai") {
			b.Fatal("denied")
		}
	}
}

// TestRequestModel: a rule expecting the request's model holds when the claim is it
// (EXACT_STRING) or lists it (LIST_CONTAINS); a listing holds when the claim names any
// model; without a model, or with another, it fails. It allocates nothing.
func TestRequestModel(t *testing.T) {
	compile := func(m snapshotv1.ClaimMatcher) *Policy {
		p, err := Compile(&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
			Name: "models", NestedClaimDelimiter: ".",
			Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
				Claims: []*snapshotv1.Claim{{Key: "llms.openai", RequestModel: true}}, Matcher: m,
			}}},
		}}})
		require.NoError(t, err)
		require.True(t, p.NeedsModel())
		return p
	}
	list := compile(snapshotv1.ClaimMatcher_LIST_CONTAINS)
	exact := compile(snapshotv1.ClaimMatcher_EXACT_STRING)
	listed := []Token{{Claims: jsonClaims(t, `{"llms":{"openai":["gpt-3.5-turbo","gpt-4o-mini"]}}`)}}
	single := []Token{{Claims: jsonClaims(t, `{"llms":{"openai":"gpt-4o"}}`)}}
	empty := []Token{{Claims: jsonClaims(t, `{"llms":{"openai":[]}}`)}}
	tests := []struct {
		p      *Policy
		tokens []Token
		model  Model
		want   bool
	}{
		{list, listed, Model{Name: "gpt-4o-mini"}, true},
		{list, listed, Model{Name: "gpt-4o"}, false},
		{list, listed, Model{}, false},
		{list, listed, Model{Listing: true}, true},
		{list, empty, Model{Listing: true}, false},
		{list, single, Model{Name: "gpt-4o"}, false},
		{exact, single, Model{Name: "gpt-4o"}, true},
		{exact, single, Model{Name: "gpt-4"}, false},
		{exact, listed, Model{Name: "gpt-4o-mini"}, false},
		{exact, single, Model{Listing: true}, true},
	}
	for i, tc := range tests {
		require.Equal(t, tc.want, tc.p.AllowedModel(tc.tokens, "POST", "/", tc.model), "case %d", i)
	}
	require.False(t, list.Allowed(listed, "POST", "/"), "Allowed knows no model")
	require.True(t, list.ModelAllowed(listed, "GET", "/v1/models", "gpt-3.5-turbo"))
	require.False(t, list.ModelAllowed(listed, "GET", "/v1/models", ""))
	allocs := testing.AllocsPerRun(100, func() { list.AllowedModel(listed, "POST", "/", Model{Name: "gpt-4o-mini"}) })
	require.Zero(t, allocs)

	_, err := Compile(&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "bad", Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims: []*snapshotv1.Claim{{Key: "llms", RequestModel: true}}, Matcher: snapshotv1.ClaimMatcher_REGEX_MATCH,
		}}},
	}}})
	require.ErrorContains(t, err, "request_model needs the matcher EXACT_STRING or LIST_CONTAINS")
}
