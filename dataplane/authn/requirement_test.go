package authn

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func TestTokenSources(t *testing.T) {
	e := newEnv(t)
	good := rsaA.Mint(t, claims(""))
	custom := &snapshotv1.TokenSource{
		Headers:     []*snapshotv1.HeaderSource{{Header: "x-llm-token", Prefix: "Token "}, {Header: "x-raw"}},
		QueryParams: []string{"jwt"},
	}
	tests := map[string]struct {
		source    *snapshotv1.TokenSource
		keepToken bool
		req       func() *http.Request
		wantOK    bool
		// check inspects the forwarded request after success.
		check func(t *testing.T, r *http.Request)
	}{
		"default: Authorization Bearer, removed": {
			req: func() *http.Request { return bearer(good) }, wantOK: true,
			check: func(t *testing.T, r *http.Request) { require.NotContains(t, r.Header, "Authorization") },
		},
		"default: Bearer case-insensitive": {req: func() *http.Request {
			r := bearer("")
			r.Header.Set("Authorization", "bearer "+good)
			return r
		}, wantOK: true},
		"default: keepToken keeps the header": {
			keepToken: true, req: func() *http.Request { return bearer(good) }, wantOK: true,
			check: func(t *testing.T, r *http.Request) { require.Equal(t, "Bearer "+good, r.Header.Get("Authorization")) },
		},
		"default: access_token query param, removed": {req: func() *http.Request {
			return httptest.NewRequest("GET", "http://gw.example/openai?a=1&access_token="+good+"&b=2", nil)
		}, wantOK: true, check: func(t *testing.T, r *http.Request) {
			require.Equal(t, "a=1&b=2", r.URL.RawQuery)
			require.Equal(t, "/openai?a=1&b=2", r.RequestURI)
		}},
		"default: access_token kept": {keepToken: true, req: func() *http.Request {
			return httptest.NewRequest("GET", "http://gw.example/openai?access_token="+good, nil)
		}, wantOK: true, check: func(t *testing.T, r *http.Request) { require.Equal(t, "access_token="+good, r.URL.RawQuery) }},
		"default: Authorization without Bearer is missing": {req: func() *http.Request {
			r := bearer("")
			r.Header.Set("Authorization", "Basic "+good)
			return r
		}},
		"empty token source is the default": {source: &snapshotv1.TokenSource{}, req: func() *http.Request { return bearer(good) }, wantOK: true},
		"custom header with prefix": {source: custom, req: func() *http.Request {
			r := bearer("")
			r.Header.Set("X-Llm-Token", "Token "+good)
			return r
		}, wantOK: true, check: func(t *testing.T, r *http.Request) { require.NotContains(t, r.Header, "X-Llm-Token") }},
		"custom header without its prefix carries nothing": {source: custom, req: func() *http.Request {
			r := bearer("")
			r.Header.Set("X-Llm-Token", good)
			return r
		}},
		"custom header without prefix": {source: custom, req: func() *http.Request {
			r := bearer("")
			r.Header.Set("X-Raw", good)
			return r
		}, wantOK: true},
		"custom query param": {source: custom, req: func() *http.Request {
			return httptest.NewRequest("GET", "http://gw.example/openai?jwt="+good, nil)
		}, wantOK: true, check: func(t *testing.T, r *http.Request) { require.Empty(t, r.URL.RawQuery) }},
		"custom source ignores Authorization": {source: custom, req: func() *http.Request { return bearer(good) }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := localProvider("p", rsaA.PublicPEM(t))
			p.TokenSource = tc.source
			p.KeepToken = tc.keepToken
			q := e.requirement(t, p)
			r := tc.req()
			if !tc.wantOK {
				requireFailure(t, q, r, 401, "Jwt is missing")
				return
			}
			requireOK(t, q, r)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestValidationPolicies(t *testing.T) {
	e := newEnv(t)
	good := rsaA.Mint(t, claims(""))
	bad := rsaB.Mint(t, claims(""))
	tests := map[string]struct {
		policy     snapshotv1.ValidationPolicy
		token      string
		wantBody   string // empty: passes
		wantTokens int
	}{
		"require valid, none":           {snapshotv1.ValidationPolicy_REQUIRE_VALID, "", "Jwt is missing", 0},
		"require valid, bad":            {snapshotv1.ValidationPolicy_REQUIRE_VALID, bad, "Jwt verification fails", 0},
		"require valid, good":           {snapshotv1.ValidationPolicy_REQUIRE_VALID, good, "", 1},
		"allow missing, none":           {snapshotv1.ValidationPolicy_ALLOW_MISSING, "", "", 0},
		"allow missing, bad":            {snapshotv1.ValidationPolicy_ALLOW_MISSING, bad, "Jwt verification fails", 0},
		"allow missing, malformed":      {snapshotv1.ValidationPolicy_ALLOW_MISSING, "x.y", "Jwt is not in the form of Header.Payload.Signature", 0},
		"allow missing, good":           {snapshotv1.ValidationPolicy_ALLOW_MISSING, good, "", 1},
		"allow missing or failed, none": {snapshotv1.ValidationPolicy_ALLOW_MISSING_OR_FAILED, "", "", 0},
		"allow missing or failed, bad":  {snapshotv1.ValidationPolicy_ALLOW_MISSING_OR_FAILED, bad, "", 0},
		"allow missing or failed, good": {snapshotv1.ValidationPolicy_ALLOW_MISSING_OR_FAILED, good, "", 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := localProvider("p", rsaA.PublicPEM(t))
			q := e.requirementFor(t, []*snapshotv1.JwtProvider{p}, oneStage(tc.policy, p))
			r := bearer(tc.token)
			if tc.wantBody != "" {
				requireFailure(t, q, r, 401, tc.wantBody)
				return
			}
			toks := requireOK(t, q, r)
			require.Len(t, toks, tc.wantTokens)
			// Every carrier of a token is removed from a request that passes, a token
			// that failed to verify (allowed by the policy) too: it never reaches the
			// upstream.
			require.Empty(t, r.Header.Get("Authorization"))
		})
	}
}

func TestStages(t *testing.T) {
	e := newEnv(t)
	before := localProvider("before", rsaA.PublicPEM(t))
	before.TokenSource = &snapshotv1.TokenSource{Headers: []*snapshotv1.HeaderSource{{Header: "x-first"}}}
	after := localProvider("after", rsaB.PublicPEM(t))
	ps := []*snapshotv1.JwtProvider{before, after}
	j := &snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{
		{Stage: snapshotv1.JwtStageName_BEFORE_EXT_AUTH, Providers: []string{before.Id}},
		{Stage: snapshotv1.JwtStageName_AFTER_EXT_AUTH, Providers: []string{after.Id}},
	}}
	q := e.requirementFor(t, ps, j)
	req := func(first, second string) *http.Request {
		r := bearer(second)
		if first != "" {
			r.Header.Set("X-First", first)
		}
		return r
	}
	toks := requireOK(t, q, req(rsaA.Mint(t, claims("", "sub", "one")), rsaB.Mint(t, claims("", "sub", "two"))))
	require.Len(t, toks, 2)
	require.Equal(t, "before", toks[0].Provider)
	require.Equal(t, "one", toks[0].Claims["sub"])
	require.Equal(t, "after", toks[1].Provider)
	require.Equal(t, "two", toks[1].Claims["sub"])

	r := req(rsaA.Mint(t, claims("")), "")
	requireFailure(t, q, r, 401, "Jwt is missing")
	require.NotEmpty(t, r.Header.Get("X-First"), "a failed request is not changed")

	requireFailure(t, q, req("", rsaB.Mint(t, claims(""))), 401, "Jwt is missing")
	requireFailure(t, q, req(rsaB.Mint(t, claims("")), rsaB.Mint(t, claims(""))), 401, "Jwt verification fails")
}

// TestStagesShareAToken: both stages read Authorization; the token is removed only after
// both passed.
func TestStagesShareAToken(t *testing.T) {
	e := newEnv(t)
	before := localProvider("before", rsaA.PublicPEM(t))
	after := localProvider("after", rsaA.PublicPEM(t))
	after.ClaimsToHeaders = []*snapshotv1.ClaimToHeader{{Claim: "sub", Header: "x-sub"}}
	j := &snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{
		{Stage: snapshotv1.JwtStageName_BEFORE_EXT_AUTH, Providers: []string{before.Id}},
		{Stage: snapshotv1.JwtStageName_AFTER_EXT_AUTH, Providers: []string{after.Id}},
	}}
	q := e.requirementFor(t, []*snapshotv1.JwtProvider{before, after}, j)
	r := bearer(rsaA.Mint(t, claims("")))
	toks := requireOK(t, q, r)
	require.Len(t, toks, 2)
	require.NotContains(t, r.Header, "Authorization")
	require.Equal(t, "alice", r.Header.Get("X-Sub"))
}

func TestSeveralProviders(t *testing.T) {
	e := newEnv(t)
	corp := localProvider("corp", rsaA.PublicPEM(t))
	corp.Issuer = "https://corp.example"
	corp.Audiences = []string{"llm"}
	partner := localProvider("partner", rsaB.PublicPEM(t))
	partner.Issuer = "https://partner.example"
	anyIss := localProvider("any", ecA.PublicPEM(t))
	tests := map[string]struct {
		providers []*snapshotv1.JwtProvider
		token     string
		status    int
		body      string
		provider  string
	}{
		"first verifies":  {[]*snapshotv1.JwtProvider{corp, partner}, rsaA.Mint(t, claims("https://corp.example", "aud", "llm")), 200, "", "corp"},
		"second verifies": {[]*snapshotv1.JwtProvider{corp, partner}, rsaB.Mint(t, claims("https://partner.example")), 200, "", "partner"},
		"issuer's provider answers (403 before the other's 401)": {
			[]*snapshotv1.JwtProvider{partner, corp},
			rsaA.Mint(t, claims("https://corp.example", "aud", "other")), 403, "Audiences in Jwt are not allowed", "",
		},
		"issuer's provider answers with its signature failure": {
			[]*snapshotv1.JwtProvider{anyIss, corp},
			rsaB.Mint(t, claims("https://corp.example", "aud", "llm")), 401, "Jwt verification fails", "",
		},
		"unknown issuer: the meaningful failure wins": {
			[]*snapshotv1.JwtProvider{corp, partner, anyIss},
			rsaA.Mint(t, claims("https://nobody.example")), 401, "Jwks doesn't have key to match kid or alg from Jwt", "",
		},
		"unknown issuer everywhere": {
			[]*snapshotv1.JwtProvider{corp, partner},
			rsaA.Mint(t, claims("https://nobody.example")), 401, "Jwt issuer is not configured", "",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q := e.requirement(t, tc.providers...)
			r := bearer(tc.token)
			if tc.status != 200 {
				requireFailure(t, q, r, tc.status, tc.body)
				return
			}
			toks := requireOK(t, q, r)
			require.Len(t, toks, 1)
			require.Equal(t, tc.provider, toks[0].Provider)
		})
	}
}

func TestClaimsToHeaders(t *testing.T) {
	e := newEnv(t)
	p := localProvider("p", rsaA.PublicPEM(t))
	p.ClaimsToHeaders = []*snapshotv1.ClaimToHeader{
		{Claim: "sub", Header: "x-user"},
		{Claim: "n", Header: "x-n"},
		{Claim: "ratio", Header: "x-ratio"},
		{Claim: "admin", Header: "x-admin"},
		{Claim: "org.team", Header: "x-team"},
		{Claim: "org", Header: "x-org"},
		{Claim: "groups", Header: "x-groups"},
		{Claim: "absent", Header: "x-absent"},
		{Claim: "sub", Header: "x-trail", Append: true},
		{Claim: "absent", Header: "x-kept", Append: true},
	}
	q := e.requirement(t, p)
	tok := rsaA.Mint(t, claims("", "n", 42, "ratio", 1.5, "admin", true,
		"org", map[string]any{"team": "dev"}, "groups", []any{"a"}))
	r := bearer(tok)
	for _, h := range []string{"X-User", "X-N", "X-Absent", "X-Org", "X-Groups"} {
		r.Header.Set(h, "spoofed")
	}
	r.Header.Set("X-Trail", "client")
	r.Header.Set("X-Kept", "client")
	requireOK(t, q, r)
	want := http.Header{
		"X-User":  {"alice"},
		"X-N":     {"42"},
		"X-Ratio": {"1.5"},
		"X-Admin": {"true"},
		"X-Team":  {"dev"},
		"X-Trail": {"client", "alice"},
		"X-Kept":  {"client"},
	}
	for h, v := range want {
		require.Equal(t, v, r.Header.Values(h), h)
	}
	for _, h := range []string{"X-Absent", "X-Org", "X-Groups"} {
		require.NotContains(t, r.Header, h, "a client-sent %s never reaches the upstream", h)
	}

	// A stage that passes without a verified token still strips the headers.
	lax := e.requirementFor(t, []*snapshotv1.JwtProvider{p}, oneStage(snapshotv1.ValidationPolicy_ALLOW_MISSING, p))
	r = bearer("")
	r.Header.Set("X-User", "admin")
	requireOK(t, lax, r)
	require.NotContains(t, r.Header, "X-User")
}

func TestCompileErrors(t *testing.T) {
	e := newEnv(t)
	p := localProvider("p", rsaA.PublicPEM(t))
	_, err := e.a.Compile([]*snapshotv1.JwtProvider{p, p})
	require.ErrorContains(t, err, `jwt provider "ns/opt/p" is listed twice`)
	_, err = e.a.Compile([]*snapshotv1.JwtProvider{{}})
	require.ErrorContains(t, err, "jwt provider #0 has no id")

	ps, err := e.a.Compile([]*snapshotv1.JwtProvider{p})
	require.NoError(t, err)
	_, err = ps.Requirement(&snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{{Providers: []string{"ns/opt/q"}}}})
	require.ErrorContains(t, err, `jwt stage #0 (AFTER_EXT_AUTH): jwt provider "ns/opt/q" is not in the snapshot`)
	_, err = ps.Requirement(&snapshotv1.JwtAuthentication{Stages: []*snapshotv1.JwtStage{{}}})
	require.ErrorContains(t, err, "stage has no providers")

	none, err := ps.Requirement(nil)
	require.NoError(t, err)
	toks, f := none.Authenticate(bearer(""))
	require.Nil(t, f)
	require.Empty(t, toks)
}
