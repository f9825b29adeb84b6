package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOverLimitBound: the memory holds at most its bound, dropping expired entries
// first.
func TestOverLimitBound(t *testing.T) {
	o := newOverLimit(overShards) // one entry a shard
	now := time.Now()
	for i := range 10 * overShards {
		h := Hit{Key: []byte(fmt.Sprint(i)), Expires: now.Add(time.Minute), Limit: 1}
		o.note(&h, 5, now.UnixNano())
	}
	require.LessOrEqual(t, o.len(), overShards)
	h := Hit{Key: []byte("k"), Amount: 1, Expires: now.Add(time.Minute), Limit: 2}
	o.note(&h, 1, now.UnixNano())
	_, ok := o.get(&h, now.UnixNano())
	require.False(t, ok, "under its limit: not remembered")
	o.note(&h, 2, now.UnixNano())
	c, ok := o.get(&h, now.UnixNano())
	require.True(t, ok)
	require.Equal(t, uint64(2), c)
	_, ok = o.get(&h, now.Add(time.Minute).UnixNano())
	require.False(t, ok, "its window ended")
}
