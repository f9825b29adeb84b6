package ratelimit

import (
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// TestMatchingEnvoyExamples: the examples of envoyproxy/ratelimit's README and the
// tree walk they describe.
func TestMatchingEnvoyExamples(t *testing.T) {
	mongo := []*snapshotv1.RateLimitDescriptor{
		desc("database", "users", perSecond(500)),
		desc("database", "default", perSecond(500)),
	}
	messaging := []*snapshotv1.RateLimitDescriptor{
		desc("message_type", "marketing", nil, desc("to_number", "", perDay(5))),
		desc("to_number", "", perDay(100)),
	}
	perIP := []*snapshotv1.RateLimitDescriptor{
		desc("remote_address", "", perSecond(10)),
		desc("remote_address", "50.0.0.5", perSecond(0)),
	}
	cases := map[string]struct {
		tree    []*snapshotv1.RateLimitDescriptor
		actions []*snapshotv1.RateLimitActions
		want    []string
	}{
		"1: database users":                {mongo, []*snapshotv1.RateLimitActions{fixed("database", "users")}, []string{"500/SECOND"}},
		"1: database default":              {mongo, []*snapshotv1.RateLimitActions{fixed("database", "default")}, []string{"500/SECOND"}},
		"1: another database has no limit": {mongo, []*snapshotv1.RateLimitActions{fixed("database", "orders")}, nil},
		"2: marketing to a number": {
			messaging, []*snapshotv1.RateLimitActions{fixed("message_type", "marketing", "to_number", "2061111111")}, []string{"5/DAY"},
		},
		"2: any message to a number": {messaging, []*snapshotv1.RateLimitActions{fixed("to_number", "2061111111")}, []string{"100/DAY"}},
		"2: both descriptors in one request": {
			messaging, []*snapshotv1.RateLimitActions{
				fixed("message_type", "marketing", "to_number", "2061111111"), fixed("to_number", "2061111111"),
			}, []string{"5/DAY", "100/DAY"},
		},
		"2: another message type": {messaging, []*snapshotv1.RateLimitActions{fixed("message_type", "alert", "to_number", "1")}, nil},
		"3: any address":          {perIP, []*snapshotv1.RateLimitActions{fixed("remote_address", "50.0.0.1")}, []string{"10/SECOND"}},
		"3: key and value first":  {perIP, []*snapshotv1.RateLimitActions{fixed("remote_address", "50.0.0.5")}, []string{"0/SECOND"}},
		"4: deeper request than the tree": {
			[]*snapshotv1.RateLimitDescriptor{desc("key", "value", perSecond(300))},
			[]*snapshotv1.RateLimitActions{fixed("key", "value", "subkey", "subvalue")},
			nil,
		},
		"4: nested": {
			[]*snapshotv1.RateLimitDescriptor{desc("key", "value", nil, desc("subkey", "", perSecond(300)))},
			[]*snapshotv1.RateLimitActions{fixed("key", "value", "subkey", "subvalue")},
			[]string{"300/SECOND"},
		},
		"4: shorter request than the tree": {
			[]*snapshotv1.RateLimitDescriptor{desc("key", "value", nil, desc("subkey", "", perSecond(300)))},
			[]*snapshotv1.RateLimitActions{fixed("key", "value")},
			nil,
		},
		"generic_key": {
			[]*snapshotv1.RateLimitDescriptor{desc("generic_key", "per-minute", perMinute(3))},
			[]*snapshotv1.RateLimitActions{actions(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_GenericKey{
				GenericKey: &snapshotv1.GenericKeyAction{DescriptorValue: "per-minute"},
			}})},
			[]string{"3/MINUTE"},
		},
		"no backtracking: the key and value child wins even when it leads nowhere": {
			[]*snapshotv1.RateLimitDescriptor{
				desc("a", "1", perHour(1)),
				desc("a", "", nil, desc("b", "", perHour(2))),
			},
			[]*snapshotv1.RateLimitActions{fixed("a", "1", "b", "x"), fixed("a", "2", "b", "x")},
			[]string{"2/HOUR"},
		},
		"a node without limit limits nothing": {
			[]*snapshotv1.RateLimitDescriptor{desc("a", "", nil, desc("b", "", perHour(2)))},
			[]*snapshotv1.RateLimitActions{fixed("a", "1")},
			nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := mustCompile(t, &snapshotv1.RateLimitPolicy{Descriptors: tc.tree, Actions: tc.actions})
			require.Equal(t, tc.want, reached(p, &Request{}))
		})
	}
}

// TestWeights: of the tree limits a request reaches, only the heaviest apply, with
// those that always apply (Gloo's rule priority guide: type Messenger/Whatsapp, number
// 411).
func TestWeights(t *testing.T) {
	rule3 := desc("number", "411", perMinute(100))
	rule3.Weight = 1
	tree := []*snapshotv1.RateLimitDescriptor{
		desc("type", "Messenger", perMinute(2)),
		desc("type", "Whatsapp", perMinute(1), rule3),
	}
	acts := []*snapshotv1.RateLimitActions{
		actions(header("x-type", "type")),
		actions(header("x-type", "type"), header("x-number", "number")),
	}
	p := mustCompile(t, &snapshotv1.RateLimitPolicy{Descriptors: tree, Actions: acts})
	require.Equal(t, []string{"100/MINUTE"}, reached(p, &Request{Header: headers("X-Type", "Whatsapp", "X-Number", "411")}),
		"rule 3 outweighs rule 2")
	require.Equal(t, []string{"1/MINUTE"}, reached(p, &Request{Header: headers("X-Type", "Whatsapp", "X-Number", "412")}))
	require.Equal(t, []string{"2/MINUTE"}, reached(p, &Request{Header: headers("X-Type", "Messenger")}))

	tree[1].AlwaysApply = true
	p = mustCompile(t, &snapshotv1.RateLimitPolicy{Descriptors: tree, Actions: acts})
	require.Equal(t, []string{"1/MINUTE", "100/MINUTE"}, reached(p, &Request{Header: headers("X-Type", "Whatsapp", "X-Number", "411")}),
		"rule 2 always applies")
}

// TestSetDescriptors: Gloo's set-style examples: a set descriptor applies when all its
// entries are in the request's set, in any order; an entry without value takes any
// value; the first matching set descriptor applies, with later ones that always apply.
func TestSetDescriptors(t *testing.T) {
	set := func(lim *snapshotv1.RateLimit, always bool, kv ...string) *snapshotv1.RateLimitSetDescriptor {
		s := &snapshotv1.RateLimitSetDescriptor{Limit: lim, AlwaysApply: always}
		for i := 0; i < len(kv); i += 2 {
			s.Entries = append(s.Entries, &snapshotv1.RateLimitEntry{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	acts := actions(header("x-account-id", "account_id"), header("x-plan", "plan"))
	acts.SetStyle = true
	req := &Request{Header: headers("X-Account-Id", "a1", "X-Plan", "BASIC")}
	cases := map[string]struct {
		sets []*snapshotv1.RateLimitSetDescriptor
		want []string
	}{
		"in any order":      {[]*snapshotv1.RateLimitSetDescriptor{set(perMinute(20), false, "plan", "BASIC", "account_id", "")}, []string{"20/MINUTE"}},
		"a subset":          {[]*snapshotv1.RateLimitSetDescriptor{set(perMinute(20), false, "account_id", "")}, []string{"20/MINUTE"}},
		"no entries at all": {[]*snapshotv1.RateLimitSetDescriptor{set(perMinute(20), false)}, []string{"20/MINUTE"}},
		"another value":     {[]*snapshotv1.RateLimitSetDescriptor{set(perMinute(20), false, "plan", "PLUS")}, nil},
		"a key not sent":    {[]*snapshotv1.RateLimitSetDescriptor{set(perMinute(20), false, "color", "")}, nil},
		"the first match only": {[]*snapshotv1.RateLimitSetDescriptor{
			set(perMinute(1), false, "plan", "PLUS"), set(perMinute(2), false, "plan", ""), set(perMinute(3), false, "account_id", ""),
		}, []string{"2/MINUTE"}},
		"and those that always apply": {[]*snapshotv1.RateLimitSetDescriptor{
			set(perMinute(2), false, "plan", ""), set(perMinute(3), false, "account_id", ""), set(perHour(4), true),
		}, []string{"2/MINUTE", "4/HOUR"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := mustCompile(t, &snapshotv1.RateLimitPolicy{Actions: []*snapshotv1.RateLimitActions{acts}, SetDescriptors: tc.sets})
			require.Equal(t, tc.want, reached(p, req))
		})
	}
	// A set descriptor never matches an ordered descriptor, nor a tree a set.
	ordered := actions(header("x-account-id", "account_id"))
	p := mustCompile(t, &snapshotv1.RateLimitPolicy{
		Actions:        []*snapshotv1.RateLimitActions{ordered},
		SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{set(perMinute(20), false)},
	})
	require.Empty(t, reached(p, req))
}
