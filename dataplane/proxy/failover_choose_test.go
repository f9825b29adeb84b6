package proxy

import (
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// testFailover is a failover of priorities with the given numbers of members, on clock.
func testFailover(now func() time.Time, sizes ...int) *failover {
	f := &failover{name: "u", now: now, log: logr.Discard()}
	for i, n := range sizes {
		p := &priority{index: i}
		for range n {
			p.members = append(p.members, &member{health: &health{}})
		}
		f.priorities = append(f.priorities, p)
	}
	return f
}

// attemptsOf returns where each of n attempts of one request goes, as "priority/member".
func attemptsOf(f *failover, previousPriorities bool, n int) [][2]int {
	return attemptsEvery(f, previousPriorities, 1, n)
}

// attemptsEvery is attemptsOf with an update frequency.
func attemptsEvery(f *failover, previousPriorities bool, frequency, n int) [][2]int {
	cur := &failoverCursor{previousPriorities: previousPriorities, updateFrequency: frequency}
	var out [][2]int
	for range n {
		f.choose(cur)
		out = append(out, [2]int{cur.priority, cur.member})
	}
	return out
}

func TestFailoverChoose(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	tests := map[string]struct {
		sizes     []int
		eject     [][2]int
		previous  bool
		frequency int
		want      [][2]int
	}{
		"updateFrequency 2 makes two attempts at each priority": {
			sizes: []int{2, 1, 1}, previous: true, frequency: 2, want: [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 0}, {2, 0}, {2, 0}, {2, 0}},
		},
		"previousPriorities walks the priorities, then stays on the last": {
			sizes: []int{1, 1, 1}, previous: true, want: [][2]int{{0, 0}, {1, 0}, {2, 0}, {2, 0}},
		},
		"without previousPriorities a retry takes the next member of its priority": {
			sizes: []int{2, 1}, want: [][2]int{{0, 0}, {0, 1}, {0, 0}},
		},
		"an ejected first priority is skipped": {
			sizes: []int{1, 2}, eject: [][2]int{{0, 0}}, want: [][2]int{{1, 0}, {1, 1}},
		},
		"an ejected member of a pool is skipped": {
			sizes: []int{3}, eject: [][2]int{{0, 1}}, want: [][2]int{{0, 0}, {0, 2}, {0, 0}},
		},
		"a retry skips an ejected next priority": {
			sizes: []int{1, 1, 1}, eject: [][2]int{{1, 0}}, previous: true, want: [][2]int{{0, 0}, {2, 0}, {2, 0}},
		},
		"every member from here on ejected: tried anyway": {
			sizes: []int{1, 1}, eject: [][2]int{{0, 0}, {1, 0}}, previous: true, want: [][2]int{{0, 0}, {1, 0}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := testFailover(clock, tc.sizes...)
			for _, e := range tc.eject {
				f.priorities[e[0]].members[e[1]].health.eject(now)
			}
			require.Equal(t, tc.want, attemptsEvery(f, tc.previous, max(tc.frequency, 1), len(tc.want)))
		})
	}
}

// TestFailoverRoundRobin: first attempts of successive requests take the members of
// their priority in turn.
func TestFailoverRoundRobin(t *testing.T) {
	f := testFailover(time.Now, 3)
	var got []int
	for range 6 {
		got = append(got, attemptsOf(f, false, 1)[0][1])
	}
	require.Equal(t, []int{0, 1, 2, 0, 1, 2}, got)
}

// TestEjection: five failures in a row eject for 30 s, then 60 s, at most 300 s; an
// answer resets the counts; the last member not ejected is never ejected.
func TestEjection(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := testFailover(func() time.Time { return now }, 1, 1)
	a, b := f.priorities[0].members[0], f.priorities[1].members[0]
	fail := func(m *member, n int) {
		p := f.priorities[0]
		if m == b {
			p = f.priorities[1]
		}
		for range n {
			f.record(p, m, true)
		}
	}
	fail(a, 4)
	f.record(f.priorities[0], a, false)
	fail(a, 4)
	require.False(t, a.health.ejected(now), "an answer between failures resets the count")
	fail(a, 1)
	require.True(t, a.health.ejected(now))
	require.False(t, a.health.ejected(now.Add(baseEjection)), "back after 30 s")

	fail(b, 10)
	require.False(t, b.health.ejected(now), "the last member not ejected stays")

	now = now.Add(baseEjection)
	fail(a, 5)
	require.True(t, a.health.ejected(now.Add(baseEjection)), "a second ejection in a row lasts 60 s")
	require.False(t, a.health.ejected(now.Add(2*baseEjection)))
	for range 20 {
		now = now.Add(maxEjection)
		fail(a, 5)
	}
	require.True(t, a.health.ejected(now.Add(maxEjection-time.Second)))
	require.False(t, a.health.ejected(now.Add(maxEjection)), "never longer than 300 s")
}

// TestCompileFailoverRefuses: a failover upstream without priorities, with an empty
// priority or with a member the adapter refuses is refused (the snapshot is NACKed),
// and the error never holds a key.
func TestCompileFailoverRefuses(t *testing.T) {
	tr := llm.NewTransports(llm.TransportConfig{})
	ok := &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "sk-secret"}
	tests := map[string]struct {
		f    *snapshotv1.FailoverUpstream
		want string
	}{
		"no priority":    {&snapshotv1.FailoverUpstream{}, "failover upstream has no priority"},
		"empty priority": {&snapshotv1.FailoverUpstream{Priorities: []*snapshotv1.FailoverPriority{{Pool: []*snapshotv1.LlmUpstream{ok}}, {}}}, "failover priority 1 has no member"},
		"bad member": {&snapshotv1.FailoverUpstream{Priorities: []*snapshotv1.FailoverPriority{{Pool: []*snapshotv1.LlmUpstream{
			ok, {Provider: snapshotv1.LlmProvider_AZURE_OPENAI, AuthToken: "sk-secret", Endpoint: &snapshotv1.Endpoint{Host: "a", Port: 443}},
		}}}}, "failover priority 0 member 1: azure_openai: deployment_name is required"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileFailover("u", tc.f, tr, time.Now, logr.Discard())
			require.EqualError(t, err, tc.want)
			require.NotContains(t, err.Error(), "sk-secret")
		})
	}
	f, err := compileFailover("u", &snapshotv1.FailoverUpstream{Priorities: []*snapshotv1.FailoverPriority{{Pool: []*snapshotv1.LlmUpstream{ok}}}}, tr, time.Now, logr.Discard())
	require.NoError(t, err)
	require.Equal(t, "openai https://api.openai.com:443 ", f.priorities[0].members[0].identity)
}
