package ratelimit

import (
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
)

func hvm(value string, expect bool, ms ...*snapshotv1.RateLimitHeaderMatcher) *snapshotv1.RateLimitAction {
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_HeaderValueMatch{HeaderValueMatch: &snapshotv1.HeaderValueMatchAction{
		DescriptorValue: value, ExpectMatch: expect, Headers: ms,
	}}}
}

func exact(name, v string) *snapshotv1.RateLimitHeaderMatcher {
	return &snapshotv1.RateLimitHeaderMatcher{Name: name, Match: &snapshotv1.RateLimitHeaderMatcher_Exact{Exact: v}}
}

// TestDescriptors: what each action yields, and that an action yielding nothing drops
// its whole descriptor.
func TestDescriptors(t *testing.T) {
	alice := []authz.Token{
		{Provider: "p", Claims: map[string]any{"sub": "alice", "org": map[string]any{"id": float64(42), "tier": "gold"}, "empty": ""}},
	}
	req := &Request{
		Header:     headers("X-Plan", "BASIC", "X-Plan", "PLUS", "X-Count", "7", "X-Ua", "curl/8"),
		RemoteAddr: "192.0.2.7:41234", Tokens: alice, Destination: "openai",
	}
	one := func(a *snapshotv1.RateLimitAction) []*snapshotv1.RateLimitActions {
		return []*snapshotv1.RateLimitActions{actions(a)}
	}
	e := func(k, v string) [][]Entry { return [][]Entry{{{k, v}}} }
	cases := map[string]struct {
		acts []*snapshotv1.RateLimitActions
		req  *Request
		want [][]Entry
	}{
		"generic_key default key": {one(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_GenericKey{
			GenericKey: &snapshotv1.GenericKeyAction{DescriptorValue: "v"},
		}}), req, e("generic_key", "v")},
		"generic_key with key": {one(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_GenericKey{
			GenericKey: &snapshotv1.GenericKeyAction{DescriptorValue: "v", DescriptorKey: "k"},
		}}), req, e("k", "v")},
		"request header, first value, any spelling": {one(header("x-PLAN", "plan")), req, e("plan", "BASIC")},
		"request header absent":                     {one(header("x-other", "o")), req, nil},
		"remote address without port":               {one(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}}), req, e("remote_address", "192.0.2.7")},
		"remote address v6": {
			one(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}}),
			&Request{RemoteAddr: "[2001:db8::1]:443"}, e("remote_address", "2001:db8::1"),
		},
		"destination": {one(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_DestinationCluster{}}), req, e("destination_cluster", "openai")},
		"destination not chosen": {
			one(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_DestinationCluster{}}), &Request{}, nil,
		},
		"claim":                          {one(claim("user-id", "unknown", "sub")), req, e("user-id", "alice")},
		"no claim named, default":        {one(claim("route", "d")), req, e("route", "d")},
		"no claim named, no default":     {one(claim("route", "")), req, nil},
		"nested claim":                   {one(claim("tier", "", "org", "tier")), req, e("tier", "gold")},
		"number claim as JSON":           {one(claim("org", "", "org", "id")), req, e("org", "42")},
		"object claim as JSON":           {one(claim("org", "", "org")), req, e("org", `{"id":42,"tier":"gold"}`)},
		"absent claim takes the default": {one(claim("user-id", "unknown", "nope")), req, e("user-id", "unknown")},
		"empty claim takes the default":  {one(claim("user-id", "unknown", "empty")), req, e("user-id", "unknown")},
		"no token takes the default":     {one(claim("user-id", "unknown", "sub")), &Request{}, e("user-id", "unknown")},
		"absent claim without default":   {one(claim("user-id", "", "nope")), req, nil},
		"constant":                       {one(constant("source_cluster", "gw")), req, e("source_cluster", "gw")},
		"header_value_match matches":     {one(hvm("plus", true, exact("x-ua", "curl/8"))), req, e("header_match", "plus")},
		"header_value_match does not":    {one(hvm("plus", true, exact("x-ua", "wget"))), req, nil},
		"header_value_match expecting no match": {
			one(hvm("other", false, exact("x-ua", "wget"))), req, e("header_match", "other"),
		},
		"one action missing drops the descriptor, not the others": {
			[]*snapshotv1.RateLimitActions{
				actions(header("x-plan", "plan"), header("x-missing", "m")),
				actions(header("x-count", "count"), constant("k", "v")),
			}, req, [][]Entry{{{"count", "7"}, {"k", "v"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := mustCompile(t, &snapshotv1.RateLimitPolicy{Actions: tc.acts})
			require.Equal(t, tc.want, descriptors(p, tc.req))
		})
	}
}

// TestHeaderMatchers: Envoy's header matching, on a header with values "7" and an
// absent one.
func TestHeaderMatchers(t *testing.T) {
	h := headers("X-N", "7", "X-Multi", "a", "X-Multi", "b")
	m := func(name string, mk func(*snapshotv1.RateLimitHeaderMatcher)) *snapshotv1.RateLimitHeaderMatcher {
		hm := &snapshotv1.RateLimitHeaderMatcher{Name: name}
		mk(hm)
		return hm
	}
	rng := func(s, e int64) func(*snapshotv1.RateLimitHeaderMatcher) {
		return func(hm *snapshotv1.RateLimitHeaderMatcher) {
			hm.Match = &snapshotv1.RateLimitHeaderMatcher_Range{Range: &snapshotv1.Int64Range{Start: s, End: e}}
		}
	}
	re := func(r string) func(*snapshotv1.RateLimitHeaderMatcher) {
		return func(hm *snapshotv1.RateLimitHeaderMatcher) {
			hm.Match = &snapshotv1.RateLimitHeaderMatcher_Regex{Regex: r}
		}
	}
	present := func(p bool) func(*snapshotv1.RateLimitHeaderMatcher) {
		return func(hm *snapshotv1.RateLimitHeaderMatcher) {
			hm.Match = &snapshotv1.RateLimitHeaderMatcher_Present{Present: p}
		}
	}
	inverted := func(f func(*snapshotv1.RateLimitHeaderMatcher)) func(*snapshotv1.RateLimitHeaderMatcher) {
		return func(hm *snapshotv1.RateLimitHeaderMatcher) { f(hm); hm.Invert = true }
	}
	cases := map[string]struct {
		m    *snapshotv1.RateLimitHeaderMatcher
		want bool
	}{
		"no match set means present":   {m("x-n", func(*snapshotv1.RateLimitHeaderMatcher) {}), true},
		"present":                      {m("x-n", present(true)), true},
		"present, absent":              {m("x-none", present(true)), false},
		"present false, absent":        {m("x-none", present(false)), true},
		"present inverted, absent":     {m("x-none", inverted(present(true))), true},
		"range in":                     {m("x-n", rng(0, 10)), true},
		"range end excluded":           {m("x-n", rng(0, 7)), false},
		"range inverted":               {m("x-n", inverted(rng(0, 7))), true},
		"range, absent":                {m("x-none", rng(0, 7)), false},
		"range inverted, absent":       {m("x-none", inverted(rng(0, 7))), false},
		"regex whole":                  {m("x-n", re(`\d`)), true},
		"regex not a part":             {m("x-multi", re(`a`)), false},
		"several values joined by ','": {m("x-multi", re(`a,b`)), true},
		"exact inverted": {m("x-n", inverted(func(hm *snapshotv1.RateLimitHeaderMatcher) {
			hm.Match = &snapshotv1.RateLimitHeaderMatcher_Exact{Exact: "8"}
		})), true},
		"prefix": {m("x-multi", func(hm *snapshotv1.RateLimitHeaderMatcher) {
			hm.Match = &snapshotv1.RateLimitHeaderMatcher_Prefix{Prefix: "a,"}
		}), true},
		"suffix": {m("x-multi", func(hm *snapshotv1.RateLimitHeaderMatcher) {
			hm.Match = &snapshotv1.RateLimitHeaderMatcher_Suffix{Suffix: "c"}
		}), false},
		"regex alternation is anchored": {m("x-n", re(`1|7`)), true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			hm, err := compileHeaderMatcher(tc.m)
			require.NoError(t, err)
			require.Equal(t, tc.want, hm.matches(h))
		})
	}
}
