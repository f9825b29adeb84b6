package proxy

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSeriesCacheKeepsEachKeysSeries: once the labels' series are resolved, later
// recorders reuse them (concurrent first lookups may each resolve: the vectors give them
// the same series); other labels get their own.
func TestSeriesCacheKeepsEachKeysSeries(t *testing.T) {
	var resolved atomic.Int32
	c := newSeriesCache(func(k answerLabels) *string {
		resolved.Add(1)
		s := k.route + "/" + k.status
		return &s
	})
	var wg sync.WaitGroup
	got := make([]*string, 16)
	for i := range got {
		wg.Go(func() { got[i] = c.get(answerLabels{route: "r", status: "200"}) })
	}
	wg.Wait()
	before := resolved.Load()
	first := c.get(answerLabels{route: "r", status: "200"})
	require.Equal(t, before, resolved.Load(), "resolved again")
	require.Equal(t, "r/200", *first)
	for _, g := range got {
		require.Equal(t, "r/200", *g)
	}
	other := c.get(answerLabels{route: "r", status: "404"})
	require.Equal(t, "r/404", *other)
	require.Same(t, other, c.get(answerLabels{route: "r", status: "404"}))
	require.Len(t, c.entries, 2)
	require.Equal(t, before+1, resolved.Load())
}
