package proxy

import "sync"

// seriesCache keeps what a set of label values resolves to in metric vectors (the
// series a request or an answer adds to), so that recording costs one map lookup
// instead of a label lookup per vector and series. It holds one entry per set of
// labels seen, no more than the vectors hold series.
type seriesCache[K comparable, S any] struct {
	mu      sync.RWMutex
	entries map[K]*S
	resolve func(K) *S
}

func newSeriesCache[K comparable, S any](resolve func(K) *S) *seriesCache[K, S] {
	return &seriesCache[K, S]{entries: map[K]*S{}, resolve: resolve}
}

// get returns the series of k, resolved in the vectors the first time.
func (c *seriesCache[K, S]) get(k K) *S {
	c.mu.RLock()
	s := c.entries[k]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	s = c.resolve(k)
	c.mu.Lock()
	c.entries[k] = s
	c.mu.Unlock()
	return s
}
