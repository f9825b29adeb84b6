package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxCounters bounds the memory store by default. A counter takes about 100 bytes
// plus its key (at most maxKeyPrefix+10 bytes), so the default bound is about 40 MiB.
const DefaultMaxCounters = 100_000

const (
	memShards = 64
	// sweepEvery is how often (by the store's clock) a shard drops its expired
	// counters when it gets a new one.
	sweepEvery = int64(time.Second)
)

// MemoryConfig configures a MemoryStore.
type MemoryConfig struct {
	// MaxCounters bounds the live counters (default DefaultMaxCounters). When a new
	// counter does not fit even after expired ones are dropped, Apply counts the other
	// hits and returns ErrStoreFull: the request is let through uncounted, as when Redis
	// cannot be reached, until windows end and free room.
	MaxCounters int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// MemoryStore keeps counters in this process: exact for one proxy. It is sharded by
// key; a shard drops expired counters at most once a second, when a counter is added.
type MemoryStore struct {
	seed     maphash.Seed
	now      func() time.Time
	perShard int
	shards   [memShards]memShard
}

type memShard struct {
	mu       sync.Mutex
	counters map[string]*memCounter
	sweepAt  int64 // Unix nanoseconds
	_        [32]byte
}

type memCounter struct {
	count   uint64
	expires int64 // Unix nanoseconds
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(cfg MemoryConfig) *MemoryStore {
	if cfg.MaxCounters <= 0 {
		cfg.MaxCounters = DefaultMaxCounters
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &MemoryStore{seed: maphash.MakeSeed(), now: cfg.Now, perShard: max(1, cfg.MaxCounters/memShards)}
	for i := range s.shards {
		s.shards[i].counters = map[string]*memCounter{}
	}
	return s
}

// Apply implements Store.
func (s *MemoryStore) Apply(_ context.Context, hits []Hit, counts []uint64) error {
	now := s.now().UnixNano()
	var err error
	for i := range hits {
		h := &hits[i]
		sh := &s.shards[maphash.Bytes(s.seed, h.Key)%memShards]
		sh.mu.Lock()
		var full bool
		counts[i], full = sh.add(h, now, s.perShard)
		sh.mu.Unlock()
		if full {
			err = ErrStoreFull
		}
	}
	return err
}

// add applies h in the shard and returns the counter, or reports that it did not fit.
func (sh *memShard) add(h *Hit, now int64, limit int) (uint64, bool) {
	c := sh.counters[string(h.Key)]
	if c != nil && c.expires <= now {
		c.count, c.expires = 0, h.Expires.UnixNano()
	}
	var count uint64
	if c != nil {
		count = c.count
	}
	switch {
	case h.Op == OpSubtract:
		if c != nil {
			c.count -= min(c.count, h.Amount)
			return c.count, false
		}
		return 0, false
	case h.Op == OpAddIfFits && (count+h.Amount > h.Limit || count+h.Amount < count):
		return satAdd(count, h.Amount), false
	case c != nil:
		c.count = satAdd(c.count, h.Amount)
		return c.count, false
	case h.Amount == 0:
		return 0, false
	}
	if now >= sh.sweepAt {
		sh.sweep(now) // at most once a second, so a full shard costs no scan per request
	}
	if len(sh.counters) >= limit {
		return 0, true
	}
	sh.counters[string(h.Key)] = &memCounter{count: h.Amount, expires: h.Expires.UnixNano()}
	return h.Amount, false
}

// satAdd is a+b, or the largest count when that overflows.
func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}

func (sh *memShard) sweep(now int64) {
	for k, c := range sh.counters {
		if c.expires <= now {
			delete(sh.counters, k)
		}
	}
	sh.sweepAt = now + sweepEvery
}

// Len is the number of counters held, expired ones not yet dropped included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.counters)
		sh.mu.Unlock()
	}
	return n
}
