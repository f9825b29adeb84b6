package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
)

// start is 10:59:30 UTC: 30 seconds before an hour's end.
var start = time.Date(2026, 12, 1, 10, 59, 30, 0, time.UTC)

func user(sub string) *Request {
	return &Request{Tokens: []authz.Token{{Provider: "p", Claims: map[string]any{"sub": sub}}}}
}

// check runs one stage on a fresh decision and returns it (released by the test's end).
func check(t *testing.T, l *Limiter, req *Request, ps ...*Policy) *Decision {
	t.Helper()
	d := l.Acquire()
	t.Cleanup(d.Release)
	l.Check(context.Background(), ps, req, d)
	return d
}

// TestRequestLimit: lab 6's limit counted in requests: the first 3 pass, the 4th is
// over; another user has a counter of their own; the next hour starts afresh.
func TestRequestLimit(t *testing.T) {
	clk := newClock(start)
	l := New(Config{Now: clk.Now})
	p := mustCompile(t, lab6(3, false))
	for i := range 3 {
		d := check(t, l, user("alice"), p)
		require.False(t, d.Over(), "request %d", i+1)
		require.Equal(t, uint64(2-i), d.Statuses()[0].Remaining)
	}
	d := check(t, l, user("alice"), p)
	require.True(t, d.Over())
	st, ok := d.Refusal()
	require.True(t, ok)
	require.Equal(t, Status{Policy: "gloo-system/per-user-counter", Descriptor: "user-id", RequestsPerUnit: 3, Window: 3600, Remaining: 0, Reset: 30, Over: true}, st)
	require.Equal(t, []PolicyResult{{Policy: "gloo-system/per-user-counter", Over: true}}, d.Results())
	h := http.Header{}
	d.SetHeaders(h)
	require.Equal(t, http.Header{HeaderLimit: {"3, 3;w=3600"}, HeaderRemaining: {"0"}, HeaderReset: {"30"}}, h)

	require.False(t, check(t, l, user("bob"), p).Over(), "bob has his own counter")
	require.True(t, check(t, l, &Request{}, p).Statuses()[0].Remaining == 2, "no token counts as \"unknown\"")

	clk.Advance(30 * time.Second) // 11:00:00, a new window
	d = check(t, l, user("alice"), p)
	require.False(t, d.Over())
	require.Equal(t, int64(3600), d.Statuses()[0].Reset)
}

// TestSeveralLimits: a request is refused when any limit is over; the headers describe
// the limit with the least remaining and list every limit.
func TestSeveralLimits(t *testing.T) {
	clk := newClock(start)
	l := New(Config{Now: clk.Now})
	perUser := mustCompile(t, lab6(70, false))
	global := mustCompile(t, &snapshotv1.RateLimitPolicy{
		Name:        "ns/global",
		Descriptors: []*snapshotv1.RateLimitDescriptor{desc("generic_key", "all", perMinute(2))},
		Actions:     []*snapshotv1.RateLimitActions{fixed("generic_key", "all")},
	})
	d := check(t, l, user("alice"), perUser, global)
	require.False(t, d.Over())
	h := http.Header{}
	d.SetHeaders(h)
	require.Equal(t, "2, 70;w=3600, 2;w=60", h.Get(HeaderLimit))
	require.Equal(t, "1", h.Get(HeaderRemaining))
	require.Equal(t, "30", h.Get(HeaderReset), "the minute ends at 11:00:00 too")

	check(t, l, user("alice"), perUser, global)
	d = check(t, l, user("alice"), perUser, global)
	require.True(t, d.Over())
	st, _ := d.Refusal()
	require.Equal(t, "ns/global", st.Policy)
	require.Equal(t, []PolicyResult{{Policy: "gloo-system/per-user-counter"}, {Policy: "ns/global", Over: true}}, d.Results())
	require.Equal(t, uint64(67), d.Statuses()[0].Remaining, "every counter of the stage is counted")
}

// TestStagesAddUp: a decision collects the statuses of both stages.
func TestStagesAddUp(t *testing.T) {
	l := New(Config{Now: newClock(start).Now})
	early := mustCompile(t, &snapshotv1.RateLimitPolicy{
		Name:        "ns/ip",
		Descriptors: []*snapshotv1.RateLimitDescriptor{desc("remote_address", "", perSecond(10))},
		Actions:     []*snapshotv1.RateLimitActions{actions(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}})},
	})
	regular := mustCompile(t, lab6(70, false))
	req := user("alice")
	req.RemoteAddr = "192.0.2.1:5000"
	d := check(t, l, req, early)
	l.Check(context.Background(), []*Policy{regular}, req, d)
	require.Len(t, d.Statuses(), 2)
	h := http.Header{}
	d.SetHeaders(h)
	require.Equal(t, "10, 10;w=1, 70;w=3600", h.Get(HeaderLimit))
	require.Equal(t, "9", h.Get(HeaderRemaining))
	require.Equal(t, "1", h.Get(HeaderReset))
}

// TestTokenLimit: a token policy admits requests while the window is under its limit,
// settles the tokens when told, and refuses once they reach it.
func TestTokenLimit(t *testing.T) {
	clk := newClock(start)
	l := New(Config{Now: clk.Now})
	p := mustCompile(t, lab6(70, true))
	d := check(t, l, user("alice"), p)
	require.False(t, d.Over())
	require.True(t, d.Charging())
	require.Equal(t, uint64(70), d.Statuses()[0].Remaining, "the check charges nothing")
	require.NoError(t, d.Settle(context.Background(), 40))
	require.NoError(t, d.Settle(context.Background(), 69))

	d = check(t, l, user("alice"), p)
	require.False(t, d.Over(), "69 of 70")
	require.Equal(t, uint64(1), d.Statuses()[0].Remaining)
	require.NoError(t, d.Settle(context.Background(), 500), "an answer may overshoot")

	d = check(t, l, user("alice"), p)
	require.True(t, d.Over())
	require.False(t, d.Charging(), "a refused request charges nothing")
	require.NoError(t, d.Settle(context.Background(), 10))
	require.False(t, check(t, l, user("bob"), p).Over())

	// An answer ending after its window charges the window it ends in.
	clk.Advance(25 * time.Second)
	d = check(t, l, user("bob"), p)
	clk.Advance(10 * time.Second)
	require.NoError(t, d.Settle(context.Background(), 70))
	require.True(t, check(t, l, user("bob"), p).Over())
	require.False(t, check(t, l, user("alice"), p).Over(), "alice's new hour")
}

// TestZeroLimit: requests_per_unit 0 refuses every request (envoyproxy/ratelimit's
// block list).
func TestZeroLimit(t *testing.T) {
	l := New(Config{Now: newClock(start).Now})
	for _, tokens := range []bool{false, true} {
		require.True(t, check(t, l, user("alice"), mustCompile(t, lab6(0, tokens))).Over())
	}
}

// TestNoLimitReached: a request that reaches no limit is allowed, counted nowhere and
// gets no headers.
func TestNoLimitReached(t *testing.T) {
	store := NewMemoryStore(MemoryConfig{})
	l := New(Config{Store: store})
	p := mustCompile(t, &snapshotv1.RateLimitPolicy{
		Name:        "ns/p",
		Descriptors: []*snapshotv1.RateLimitDescriptor{desc("plan", "PLUS", perSecond(1))},
		Actions:     []*snapshotv1.RateLimitActions{actions(header("x-plan", "plan"))},
	})
	d := check(t, l, &Request{Header: headers("X-Plan", "BASIC")}, p)
	require.False(t, d.Over())
	require.Empty(t, d.Statuses())
	require.Equal(t, []PolicyResult{{Policy: "ns/p"}}, d.Results())
	h := http.Header{}
	d.SetHeaders(h)
	require.Empty(t, h)
	require.Zero(t, store.Len())
}

type failingStore struct{}

func (failingStore) Apply(context.Context, []Hit, []uint64) error { return errors.New("unreachable") }

// TestStoreFailure: a request whose counters cannot be counted passes, unless the
// limiter denies on failure.
func TestStoreFailure(t *testing.T) {
	p := mustCompile(t, lab6(1, false))
	d := check(t, New(Config{Store: failingStore{}}), user("alice"), p)
	require.False(t, d.Over())
	require.False(t, d.Failed())
	require.ErrorContains(t, d.Err(), "unreachable")
	require.Equal(t, []PolicyResult{{Policy: p.Name(), Failed: true}}, d.Results())

	d = check(t, New(Config{Store: failingStore{}, DenyOnFail: true}), user("alice"), p)
	require.True(t, d.Failed())
}

// TestCounterIdentity: counters are kept per policy name and per descriptor values; a
// long value is counted under its digest, still per value.
func TestCounterIdentity(t *testing.T) {
	l := New(Config{Now: newClock(start).Now})
	a, b := lab6(1, false), lab6(1, false)
	b.Name = "other/policy"
	pa, pb := mustCompile(t, a), mustCompile(t, b)
	require.False(t, check(t, l, user("alice"), pa).Over())
	require.False(t, check(t, l, user("alice"), pb).Over(), "another policy, another counter")
	require.True(t, check(t, l, user("alice"), pa).Over())

	long := strings.Repeat("x", 1000)
	require.False(t, check(t, l, user(long+"1"), pa).Over())
	require.False(t, check(t, l, user(long+"2"), pa).Over())
	require.True(t, check(t, l, user(long+"1"), pa).Over())
}

// TestSetCounters: a set descriptor counts per value of its own entries only.
func TestSetCounters(t *testing.T) {
	l := New(Config{Now: newClock(start).Now})
	acts := actions(header("x-account", "account"), header("x-plan", "plan"))
	acts.SetStyle = true
	p := mustCompile(t, &snapshotv1.RateLimitPolicy{
		Name: "ns/sets", Actions: []*snapshotv1.RateLimitActions{acts},
		SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{{
			Entries: []*snapshotv1.RateLimitEntry{{Key: "account"}}, Limit: perMinute(1),
		}},
	})
	req := func(account, plan string) *Request {
		return &Request{Header: headers("X-Account", account, "X-Plan", plan)}
	}
	require.False(t, check(t, l, req("a", "BASIC"), p).Over())
	require.True(t, check(t, l, req("a", "PLUS"), p).Over(), "the plan is not part of the counter")
	require.False(t, check(t, l, req("b", "BASIC"), p).Over())
}

// recordingStore counts in its store and keeps a copy of every hit.
type recordingStore struct {
	Store
	hits []Hit
}

func (s *recordingStore) Apply(ctx context.Context, hits []Hit, counts []uint64) error {
	s.hits = append(s.hits, hits...)
	return s.Store.Apply(ctx, hits, counts)
}

// TestHitLimit: the hits of a check and of a charge carry their limit, for a store
// that remembers the counters over it.
func TestHitLimit(t *testing.T) {
	store := &recordingStore{Store: NewMemoryStore(MemoryConfig{})}
	l := New(Config{Store: store, Now: newClock(start).Now})
	check(t, l, user("alice"), mustCompile(t, lab6(3, false)))
	d := check(t, l, user("alice"), mustCompile(t, lab6(70, true)))
	require.NoError(t, d.Settle(context.Background(), 5))
	require.Len(t, store.hits, 3)
	for i, want := range []uint64{3, 70, 70} {
		require.Equal(t, want, store.hits[i].Limit, "hit %d", i)
	}
}

// TestStatusDescriptor: a status names the configured descriptor that holds its limit,
// with configured values only, never the request's.
func TestStatusDescriptor(t *testing.T) {
	l := New(Config{Now: newClock(start).Now})
	sets := actions(header("x-account", "account"), header("x-plan", "plan"))
	sets.SetStyle = true
	p := mustCompile(t, &snapshotv1.RateLimitPolicy{
		Name: "ns/labels",
		Descriptors: []*snapshotv1.RateLimitDescriptor{
			desc("type", "Whatsapp", nil, desc("number", "", perMinute(5))),
		},
		Actions: []*snapshotv1.RateLimitActions{actions(header("x-type", "type"), header("x-number", "number")), sets},
		SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{{
			Entries: []*snapshotv1.RateLimitEntry{{Key: "plan", Value: "BASIC"}, {Key: "account"}}, Limit: perMinute(1),
		}},
	})
	d := check(t, l, &Request{Header: headers("X-Type", "Whatsapp", "X-Number", "555-0100", "X-Account", "a", "X-Plan", "BASIC")}, p)
	var got []string
	for _, st := range d.Statuses() {
		got = append(got, st.Descriptor)
	}
	require.Equal(t, []string{"type=Whatsapp.number", "set:plan=BASIC,account"}, got)
}
