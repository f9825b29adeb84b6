package ratelimit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// TestCompileErrors: an invalid policy is refused with a message naming what is wrong.
func TestCompileErrors(t *testing.T) {
	deep := desc("k", "", perSecond(1))
	for range maxDepth {
		deep = desc("k", "", nil, deep)
	}
	matcher := func(hm *snapshotv1.RateLimitHeaderMatcher) *snapshotv1.RateLimitPolicy {
		return &snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(hvm("v", true, hm))}}
	}
	cases := map[string]struct {
		p    *snapshotv1.RateLimitPolicy
		want string
	}{
		"no name":                         {&snapshotv1.RateLimitPolicy{}, "name is empty"},
		"empty key":                       {&snapshotv1.RateLimitPolicy{Name: "ns/p", Descriptors: []*snapshotv1.RateLimitDescriptor{desc("a", "", nil, desc("", "", nil))}}, "descriptors[0].descriptors[0]: key is empty"},
		"no unit":                         {&snapshotv1.RateLimitPolicy{Name: "ns/p", Descriptors: []*snapshotv1.RateLimitDescriptor{desc("a", "", &snapshotv1.RateLimit{RequestsPerUnit: 3})}}, "descriptors[0]: limit: unit RATE_LIMIT_UNIT_UNSPECIFIED is not one of"},
		"unknown unit":                    {&snapshotv1.RateLimitPolicy{Name: "ns/p", Descriptors: []*snapshotv1.RateLimitDescriptor{desc("a", "", rl(1, 9))}}, "unit 9 is not one of"},
		"twice":                           {&snapshotv1.RateLimitPolicy{Name: "ns/p", Descriptors: []*snapshotv1.RateLimitDescriptor{desc("a", "x", nil), desc("a", "x", nil)}}, `descriptors[1]: key "a" with value "x" is listed twice`},
		"too deep":                        {&snapshotv1.RateLimitPolicy{Name: "ns/p", Descriptors: []*snapshotv1.RateLimitDescriptor{deep}}, "nested deeper than 32"},
		"no action":                       {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{{}}}, "actions[0]: no action"},
		"no kind":                         {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(&snapshotv1.RateLimitAction{})}}, "actions[0]: actions[0]: no kind set"},
		"header name":                     {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(header("bad name", "k"))}}, `header_name "bad name" is not a header name`},
		"header key":                      {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(header("x-a", ""))}}, "request_header: descriptor_key is empty"},
		"claim path":                      {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(claim("k", "", "org", ""))}}, "claim: path[1] is empty"},
		"claim key":                       {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(claim("", "", "sub"))}}, "claim: descriptor_key is empty"},
		"generic value":                   {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_GenericKey{GenericKey: &snapshotv1.GenericKeyAction{}}})}}, "generic_key: descriptor_value is empty"},
		"constant key":                    {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(constant("", "v"))}}, "constant: key is empty"},
		"match nothing":                   {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(hvm("v", true))}}, "no header to match"},
		"match value":                     {&snapshotv1.RateLimitPolicy{Name: "ns/p", Actions: []*snapshotv1.RateLimitActions{actions(hvm("", true, exact("x", "y")))}}, "descriptor_value is empty"},
		"regex":                           {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: "x", Match: &snapshotv1.RateLimitHeaderMatcher_Regex{Regex: "("}}), "headers[0]: regex: error parsing regexp"},
		"regex that only parses anchored": {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: "x", Match: &snapshotv1.RateLimitHeaderMatcher_Regex{Regex: "a)|(b"}}), "regex: error parsing regexp"},
		"long regex":                      {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: "x", Match: &snapshotv1.RateLimitHeaderMatcher_Regex{Regex: strings.Repeat("a", 1025)}}), "longer than 1024"},
		"range":                           {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: "x", Match: &snapshotv1.RateLimitHeaderMatcher_Range{Range: &snapshotv1.Int64Range{Start: 5, End: 5}}}), "range [5, 5) is empty"},
		"prefix":                          {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: "x", Match: &snapshotv1.RateLimitHeaderMatcher_Prefix{}}), "prefix is empty"},
		"suffix":                          {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: "x", Match: &snapshotv1.RateLimitHeaderMatcher_Suffix{}}), "suffix is empty"},
		"matcher name":                    {matcher(&snapshotv1.RateLimitHeaderMatcher{Name: ""}), `name "" is not a header name`},
		"set no limit":                    {&snapshotv1.RateLimitPolicy{Name: "ns/p", SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{{}}}, "set_descriptors[0]: limit is absent"},
		"set key":                         {&snapshotv1.RateLimitPolicy{Name: "ns/p", SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{{Limit: perSecond(1), Entries: []*snapshotv1.RateLimitEntry{{}}}}}, "set_descriptors[0]: entries[0]: key is empty"},
		"set twice": {&snapshotv1.RateLimitPolicy{Name: "ns/p", SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{{
			Limit: perSecond(1), Entries: []*snapshotv1.RateLimitEntry{{Key: "a"}, {Key: "a", Value: "b"}},
		}}}, `entries[1]: key "a" is listed twice`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Compile(tc.p)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := Compile(nil)
	require.Error(t, err)
}

// TestCompileLab6: the tutorial's per-user-counter compiles and reads sub.
func TestCompileLab6(t *testing.T) {
	p := mustCompile(t, lab6(70, false))
	require.Equal(t, "gloo-system/per-user-counter", p.Name())
	require.False(t, p.Tokens())
	require.False(t, p.UsesDestination())
	require.Equal(t, []string{"70/HOUR"}, reached(p, &Request{}))
}

// lab6 is lab 6's RateLimitConfig as the controller compiles it.
func lab6(n uint32, tokens bool) *snapshotv1.RateLimitPolicy {
	return &snapshotv1.RateLimitPolicy{
		Name:        "gloo-system/per-user-counter",
		Descriptors: []*snapshotv1.RateLimitDescriptor{desc("user-id", "", perHour(n))},
		Actions:     []*snapshotv1.RateLimitActions{actions(claim("user-id", "unknown", "sub"))},
		Tokens:      tokens,
	}
}
