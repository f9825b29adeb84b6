package authn

import (
	"container/list"
	"sync"
)

// cacheKey identifies a verified token: the SHA-256 of the token, the fingerprint of the
// provider configuration that verified it, and the generation of the key set it was
// verified with. A changed provider (issuer, audiences, keys, skew...) or a refreshed
// remote key set therefore never reuses an entry. Only a token in its one canonical
// spelling is ever verified or looked up, so a respelling of a cached token never
// reaches its entry.
type cacheKey struct {
	token    [32]byte
	provider [16]byte
	gen      uint64
}

// cacheEntry is a token that passed every check. Claims are shared read-only.
type cacheEntry struct {
	claims map[string]any
	exp    float64
	hasExp bool
	nbf    float64
	hasNbf bool
}

const cacheShards = 16

// tokenCache is a bounded LRU split into shards, each with its own lock, so concurrent
// requests rarely contend.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu    sync.Mutex
	cap   int
	items map[cacheKey]*list.Element
	order list.List // front = most recently used
}

type cacheItem struct {
	key   cacheKey
	entry cacheEntry
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	per := max(size/cacheShards, 1)
	for i := range c.shards {
		c.shards[i].cap = per
		c.shards[i].items = make(map[cacheKey]*list.Element, per)
	}
	return c
}

func (c *tokenCache) shard(k *cacheKey) *cacheShard {
	return &c.shards[k.token[0]%cacheShards]
}

func (c *tokenCache) get(k cacheKey) (cacheEntry, bool) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.items[k]
	if !ok {
		return cacheEntry{}, false
	}
	s.order.MoveToFront(el)
	return el.Value.(*cacheItem).entry, true //nolint:forcetypeassert // only *cacheItem is stored
}

func (c *tokenCache) put(k cacheKey, e cacheEntry) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[k]; ok {
		el.Value.(*cacheItem).entry = e //nolint:forcetypeassert // only *cacheItem is stored
		s.order.MoveToFront(el)
		return
	}
	s.items[k] = s.order.PushFront(&cacheItem{key: k, entry: e})
	for s.order.Len() > s.cap {
		oldest := s.order.Back()
		s.order.Remove(oldest)
		delete(s.items, oldest.Value.(*cacheItem).key) //nolint:forcetypeassert // only *cacheItem is stored
	}
}

func (c *tokenCache) remove(k cacheKey) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[k]; ok {
		s.order.Remove(el)
		delete(s.items, k)
	}
}

func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.Lock()
		n += c.shards[i].order.Len()
		c.shards[i].mu.Unlock()
	}
	return n
}
