package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// ledgerStores are the stores the ledger tests run against: the proxy's memory and a
// real redis-server, on the same clock.
func ledgerStores(t *testing.T) map[string]func(*clock) Store {
	return map[string]func(*clock) Store{
		"memory": func(c *clock) Store { return NewMemoryStore(MemoryConfig{Now: c.Now}) },
		"redis": func(c *clock) Store {
			srv := startRedis(t)
			return newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, Now: c.Now})
		},
	}
}

// budget is lab 6's per-user policy counting tokens, with the opt-ins.
func budget(n uint32, reserve, stop bool) *snapshotv1.RateLimitPolicy {
	pb := lab6(n, true)
	pb.ReserveMaxTokens, pb.StopStreams = reserve, stop
	return pb
}

func remaining(d *Decision) uint64 { return d.Statuses()[0].Remaining }

// TestReserve: a reserving policy admits a request only when its reservation fits;
// settling gives back what the answer did not use; a reservation that does not fit
// leaves nothing behind.
func TestReserve(t *testing.T) {
	for name, newStore := range ledgerStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := futureWindow()
			l := New(Config{Store: newStore(clk), Now: clk.Now})
			p := mustCompile(t, budget(1000, true, false))

			a := check(t, l, user("alice"), p)
			require.True(t, a.Reserving())
			fits, err := a.Reserve(ctx, 600)
			require.NoError(t, err)
			require.True(t, fits)
			require.Equal(t, uint64(400), remaining(a))

			b := check(t, l, user("alice"), p)
			require.False(t, b.Over(), "600 of 1000 held: the window is not at its limit")
			fits, err = b.Reserve(ctx, 500)
			require.NoError(t, err)
			require.False(t, fits, "500 more do not fit in the 400 left")
			require.True(t, b.Over())
			st, refused := b.Refusal()
			require.True(t, refused)
			require.Equal(t, uint64(400), st.Remaining, "the refusal shows what is left")
			require.False(t, b.Charging(), "a refused request settles nothing")
			require.NoError(t, b.Settle(ctx, 500))

			require.NoError(t, a.Settle(ctx, 150), "the answer used 150 of its 600")
			c := check(t, l, user("alice"), p)
			require.Equal(t, uint64(850), remaining(c), "450 given back, the refused 500 never held")
			fits, err = c.Reserve(ctx, 850)
			require.NoError(t, err)
			require.True(t, fits, "exactly what is left fits")
			require.NoError(t, c.Settle(ctx, 900), "an answer may use more than it reserved")
			require.True(t, check(t, l, user("alice"), p).Over())
		})
	}
}

// TestReserveGivesBackOtherPolicies: when one policy's reservation does not fit, the
// reservations of the others are given back.
func TestReserveGivesBackOtherPolicies(t *testing.T) {
	for name, newStore := range ledgerStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := futureWindow()
			l := New(Config{Store: newStore(clk), Now: clk.Now})
			perUser := mustCompile(t, budget(1000, true, false))
			teamPB := budget(300, true, false)
			teamPB.Name = "ns/team"
			team := mustCompile(t, teamPB)

			d := check(t, l, user("alice"), perUser, team)
			fits, err := d.Reserve(ctx, 400)
			require.NoError(t, err)
			require.False(t, fits, "400 do not fit in the team's 300")
			st, _ := d.Refusal()
			require.Equal(t, "ns/team", st.Policy)

			d = check(t, l, user("alice"), perUser, team)
			require.Equal(t, uint64(1000), d.Statuses()[0].Remaining, "the user's 400 were given back")
			require.Equal(t, uint64(300), d.Statuses()[1].Remaining)
		})
	}
}

// TestReserveWithoutOptIn: a token policy without reserve_max_tokens reserves nothing
// (Gloo's behaviour: refuse only a window already at its limit).
func TestReserveWithoutOptIn(t *testing.T) {
	l := New(Config{Now: newClock(start).Now})
	p := mustCompile(t, budget(100, false, false))
	d := check(t, l, user("alice"), p)
	require.False(t, d.Reserving())
	fits, err := d.Reserve(context.Background(), 5000)
	require.NoError(t, err)
	require.True(t, fits)
	require.Equal(t, uint64(100), remaining(check(t, l, user("alice"), p)))
}

// TestProgressStops: a stop policy's counter follows a stream in steps and Progress
// reports when it reaches the limit, seen by a concurrent stream of the same owner too.
func TestProgressStops(t *testing.T) {
	for name, newStore := range ledgerStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clk := futureWindow()
			store := &recordingStore{Store: newStore(clk)}
			l := New(Config{Store: store, Now: clk.Now})
			p := mustCompile(t, budget(1000, false, true))

			a := check(t, l, user("alice"), p)
			b := check(t, l, user("alice"), p)
			require.True(t, a.Stopping())
			before := len(store.hits)
			for total := uint64(1); total < progressStep; total++ {
				stop, err := a.Progress(ctx, total)
				require.NoError(t, err)
				require.Empty(t, stop)
			}
			require.Len(t, store.hits, before, "no round trip before a step of tokens")
			stop, err := a.Progress(ctx, 600)
			require.NoError(t, err)
			require.Empty(t, stop)
			require.Len(t, store.hits, before+1)

			stop, err = b.Progress(ctx, 300)
			require.NoError(t, err)
			require.Empty(t, stop, "900 of 1000")
			n := len(store.hits)
			stop, err = b.Progress(ctx, 340)
			require.NoError(t, err)
			require.Empty(t, stop)
			require.Len(t, store.hits, n, "40 tokens: less than a step and than the 100 left")
			stop, err = b.Progress(ctx, 400)
			require.NoError(t, err)
			require.Equal(t, "gloo-system/per-user-counter", stop, "b's 100 more tokens reach what was left (its last count: 900)")

			require.NoError(t, a.Settle(ctx, 620))
			require.NoError(t, b.Settle(ctx, 380))
			d := check(t, l, user("alice"), p)
			require.Equal(t, uint64(0), remaining(d), "620 + 380 counted once each")
			require.True(t, d.Over())
		})
	}
}

// TestProgressWithoutStop: Progress does nothing for a policy that did not opt in.
func TestProgressWithoutStop(t *testing.T) {
	store := &recordingStore{Store: NewMemoryStore(MemoryConfig{})}
	l := New(Config{Store: store, Now: newClock(start).Now})
	d := check(t, l, user("alice"), mustCompile(t, budget(10, false, false)))
	stop, err := d.Progress(context.Background(), 5000)
	require.NoError(t, err)
	require.Empty(t, stop)
	require.Len(t, store.hits, 1, "only the check's read")
}

// TestSettleAcrossWindows: a reservation made in a window that ended stays counted
// there; the next window is charged only what the answer used beyond it.
func TestSettleAcrossWindows(t *testing.T) {
	ctx := context.Background()
	clk := newClock(start) // 30 s before the hour
	l := New(Config{Now: clk.Now})
	p := mustCompile(t, budget(1000, true, false))
	d := check(t, l, user("alice"), p)
	fits, err := d.Reserve(ctx, 300)
	require.NoError(t, err)
	require.True(t, fits)
	clk.Advance(time.Minute)
	require.NoError(t, d.Settle(ctx, 200))
	require.Equal(t, uint64(1000), remaining(check(t, l, user("alice"), p)), "the 200 were paid by the 300 reserved last hour")

	d = check(t, l, user("alice"), p)
	_, err = d.Reserve(ctx, 100)
	require.NoError(t, err)
	clk.Advance(time.Hour)
	require.NoError(t, d.Settle(ctx, 250))
	require.Equal(t, uint64(850), remaining(check(t, l, user("alice"), p)), "150 beyond the reservation, in the window the answer ended in")
}

// TestReserveStoreFailure: a store that cannot count leaves the request admitted,
// unreserved, unless deny-on-fail.
func TestReserveStoreFailure(t *testing.T) {
	for _, deny := range []bool{false, true} {
		mem := NewMemoryStore(MemoryConfig{})
		fail := &switchStore{Store: mem}
		l := New(Config{Store: fail, DenyOnFail: deny})
		d := check(t, l, user("alice"), mustCompile(t, budget(100, true, false)))
		fail.down = true
		fits, err := d.Reserve(context.Background(), 50)
		require.Error(t, err)
		require.Equal(t, !deny, fits)
		require.Equal(t, deny, d.Failed())
	}
}

// switchStore fails every Apply while down.
type switchStore struct {
	Store
	down bool
}

func (s *switchStore) Apply(ctx context.Context, hits []Hit, counts []uint64) error {
	if s.down {
		return failingStore{}.Apply(ctx, hits, counts)
	}
	return s.Store.Apply(ctx, hits, counts)
}

// TestStoreOps: the reservation and give-back operations of both stores.
func TestStoreOps(t *testing.T) {
	for name, newStore := range ledgerStores(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(futureWindow())
			exp := futureWindow().Now().Add(time.Hour).Truncate(time.Second)
			hit := func(op HitOp, n uint64) Hit {
				return Hit{Key: []byte("k"), Amount: n, Op: op, Expires: exp, Limit: 10}
			}
			apply := func(h Hit) uint64 { return mustApply(t, s, []Hit{h})[0] }
			require.Equal(t, uint64(0), apply(hit(OpSubtract, 5)), "nothing to give back")
			require.Equal(t, uint64(0), apply(Hit{Key: []byte("k"), Expires: exp}), "and nothing created")
			require.Equal(t, uint64(11), apply(hit(OpAddIfFits, 11)), "11 do not fit in 10: the counter plus 11")
			require.Equal(t, uint64(0), apply(Hit{Key: []byte("k"), Expires: exp}))
			require.Equal(t, uint64(7), apply(hit(OpAddIfFits, 7)))
			require.Equal(t, uint64(11), apply(hit(OpAddIfFits, 4)))
			require.Equal(t, uint64(10), apply(hit(OpAddIfFits, 3)))
			require.Equal(t, uint64(4), apply(hit(OpSubtract, 6)))
			require.Equal(t, uint64(0), apply(hit(OpSubtract, 60)), "never below zero")
			require.Equal(t, uint64(12), apply(hit(OpAdd, 12)))
		})
	}
}

// TestProgressStoreFailure: a stream whose tokens cannot be counted goes on, unless the
// limiter denies on failure: then its stop policy ends it.
func TestProgressStoreFailure(t *testing.T) {
	for _, deny := range []bool{false, true} {
		fail := &switchStore{Store: NewMemoryStore(MemoryConfig{})}
		l := New(Config{Store: fail, DenyOnFail: deny})
		d := check(t, l, user("alice"), mustCompile(t, budget(1000, false, true)))
		fail.down = true
		stop, err := d.Progress(context.Background(), 500)
		require.Error(t, err)
		if deny {
			require.Equal(t, "gloo-system/per-user-counter", stop)
		} else {
			require.Empty(t, stop)
		}
	}
}
