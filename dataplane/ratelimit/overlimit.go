package ratelimit

import (
	"hash/maphash"
	"sync"
)

// DefaultOverLimitKeys bounds a RedisStore's memory of counters known to be over their
// limit by default: an entry takes about 100 bytes plus its key, so about 3 MiB.
const DefaultOverLimitKeys = 10_000

const overShards = 16

// overLimit remembers counters that reached their Hit.Limit until their window ends, so
// a flood of hits on one of them is answered in the proxy, without a round trip. A
// counter only grows within its window (but for a reservation given back, which drops
// the entry), so an entry stays right until it expires; a
// smaller limit than the remembered count (a policy raised since) is not answered here.
// It is sharded by key and bounded: a full shard drops its expired entries, then an
// arbitrary one.
type overLimit struct {
	seed     maphash.Seed
	perShard int
	shards   [overShards]overShard
}

type overShard struct {
	mu      sync.Mutex
	entries map[string]overEntry
	_       [40]byte
}

type overEntry struct {
	count   uint64
	expires int64 // Unix nanoseconds
}

func newOverLimit(size int) *overLimit {
	o := &overLimit{seed: maphash.MakeSeed(), perShard: max(1, size/overShards)}
	for i := range o.shards {
		o.shards[i].entries = map[string]overEntry{}
	}
	return o
}

func (o *overLimit) shard(key []byte) *overShard {
	return &o.shards[maphash.Bytes(o.seed, key)%overShards]
}

// get returns the remembered count of h's counter when it is at least h.Limit and its
// window has not ended at now.
func (o *overLimit) get(h *Hit, now int64) (uint64, bool) {
	if h.Limit == 0 {
		return 0, false
	}
	sh := o.shard(h.Key)
	sh.mu.Lock()
	e, ok := sh.entries[string(h.Key)]
	if ok && e.expires <= now {
		delete(sh.entries, string(h.Key))
		ok = false
	}
	sh.mu.Unlock()
	if !ok || e.count < h.Limit {
		return 0, false
	}
	return e.count, true
}

// forget drops what is remembered of key's counter.
func (o *overLimit) forget(key []byte) {
	sh := o.shard(key)
	sh.mu.Lock()
	delete(sh.entries, string(key))
	sh.mu.Unlock()
}

// note remembers h's counter when count reached h.Limit.
func (o *overLimit) note(h *Hit, count uint64, now int64) {
	expires := h.Expires.UnixNano()
	if h.Limit == 0 || count < h.Limit || expires <= now {
		return
	}
	sh := o.shard(h.Key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.entries[string(h.Key)]; ok {
		if count > e.count {
			sh.entries[string(h.Key)] = overEntry{count: count, expires: expires}
		}
		return
	}
	if len(sh.entries) >= o.perShard {
		sh.makeRoom(now)
	}
	sh.entries[string(h.Key)] = overEntry{count: count, expires: expires}
}

// makeRoom drops the shard's expired entries, or one entry when none has expired.
func (sh *overShard) makeRoom(now int64) {
	var victim string
	dropped, chosen := false, false
	for k, e := range sh.entries {
		if e.expires <= now {
			delete(sh.entries, k)
			dropped = true
		} else if !chosen {
			victim, chosen = k, true
		}
	}
	if !dropped && chosen {
		delete(sh.entries, victim)
	}
}

// len is the number of entries held, expired ones not yet dropped included.
func (o *overLimit) len() int {
	n := 0
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		n += len(sh.entries)
		sh.mu.Unlock()
	}
	return n
}
