package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func hit(key string, amount uint64, expires time.Time) Hit {
	return Hit{Key: []byte(key), Amount: amount, Expires: expires}
}

// TestMemoryStoreCounts: counters add up, a read creates nothing, an expired counter
// starts again from zero.
func TestMemoryStoreCounts(t *testing.T) {
	clk := newClock(start)
	s := NewMemoryStore(MemoryConfig{Now: clk.Now})
	end := start.Add(time.Minute)
	counts := make([]uint64, 3)
	require.NoError(t, s.Apply(context.Background(), []Hit{hit("a", 1, end), hit("b", 5, end), hit("a", 1, end)}, counts))
	require.Equal(t, []uint64{1, 5, 2}, counts)
	require.NoError(t, s.Apply(context.Background(), []Hit{hit("c", 0, end)}, counts[:1]))
	require.Zero(t, counts[0])
	require.Equal(t, 2, s.Len())

	clk.Advance(time.Minute)
	require.NoError(t, s.Apply(context.Background(), []Hit{hit("a", 1, end.Add(time.Minute))}, counts[:1]))
	require.Equal(t, uint64(1), counts[0], "the expired window is forgotten")
}

// TestMemoryStoreBound: past MaxCounters a new counter is refused with ErrStoreFull
// (the others are still counted); expired counters make room again.
func TestMemoryStoreBound(t *testing.T) {
	clk := newClock(start)
	s := NewMemoryStore(MemoryConfig{Now: clk.Now, MaxCounters: memShards}) // one a shard
	end := start.Add(time.Second)
	var full int
	counts := make([]uint64, 1)
	for i := range 10 * memShards {
		if err := s.Apply(context.Background(), []Hit{hit(fmt.Sprint(i), 1, end)}, counts); err != nil {
			require.ErrorIs(t, err, ErrStoreFull)
			full++
		}
	}
	require.LessOrEqual(t, s.Len(), memShards)
	require.Positive(t, full)

	clk.Advance(time.Second)
	stored := 0
	for i := range memShards {
		if s.Apply(context.Background(), []Hit{hit(fmt.Sprint("new", i), 1, end.Add(time.Second))}, counts) == nil {
			stored++
		}
	}
	require.Positive(t, stored, "expired counters made room")
	require.LessOrEqual(t, s.Len(), memShards, "shards that took a new counter dropped their expired ones")
}

// TestMemoryStoreConcurrent: concurrent hits on one counter all count (run with -race).
func TestMemoryStoreConcurrent(t *testing.T) {
	s := NewMemoryStore(MemoryConfig{})
	end := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts := make([]uint64, 1)
			for range 500 {
				_ = s.Apply(context.Background(), []Hit{hit("k", 1, end)}, counts)
			}
		}()
	}
	wg.Wait()
	counts := make([]uint64, 1)
	require.NoError(t, s.Apply(context.Background(), []Hit{hit("k", 0, end)}, counts))
	require.Equal(t, uint64(4000), counts[0])
}
