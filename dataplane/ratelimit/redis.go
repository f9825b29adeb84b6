package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// RedisStore keeps the counters in Redis, standalone or cluster, so that every proxy
// pointing at it shares them.
//
// One Apply is one round trip: its commands go in one pipeline, INCRBY key amount then
// EXPIREAT key <window end> for a hit that counts, GET key for one that only reads. In
// a cluster the keys of one Apply may hash to slots of several nodes: the pipeline is
// split by node and the parts are sent in parallel, one round trip per node involved.
// EXPIREAT is sent with every increment rather than only when INCRBY created the
// counter: the pipeline needs no reply before its next command, a counter can never be
// left without an expiry (as SET NX EXAT then INCRBY could, when the window ends
// between the two), and the expiry is the same for every hit of a window, so setting
// it again changes nothing. A window the server's clock has already ended (a proxy's
// clock behind) is counted and dropped at once.
//
// Counters that reach their Hit.Limit are remembered in the proxy until their window
// ends (RedisConfig.OverLimitKeys), so a flood on an exhausted budget is refused
// without Redis; when every hit of an Apply is remembered, Apply makes no round trip.
//
// The client is rueidis: it pipelines the commands of concurrent requests on a few
// shared connections instead of one pooled connection per request in flight, splits a
// cluster's pipelines by node itself and follows MOVED and ASK, and builds commands
// with little allocation; it is maintained by Redis.
//
// A store that cannot reach Redis when created keeps trying in the background, every
// second, until Close; until then Apply fails at once. Once connected, a lost server is
// dialled again by the next Apply, within DialTimeout.
type RedisStore struct {
	prefix  string
	timeout time.Duration
	now     func() time.Time
	over    *overLimit
	metrics *redisMetrics
	batches sync.Pool

	client  atomic.Pointer[redisClient]
	lastErr atomic.Pointer[error]
	closing chan struct{}
	done    chan struct{}
	close   sync.Once
}

type redisClient struct{ rueidis.Client }

// redisBatch is the scratch of one Apply: its commands and, for each command, the
// index of its hit (-1 for EXPIREAT, whose reply carries no count).
type redisBatch struct {
	cmds  []rueidis.Completed
	hit   []int
	local []bool // the hit was answered by the over-limit memory
}

// errRedisNotConnected is returned while the store has never reached Redis.
var errRedisNotConnected = errors.New("not connected to redis")

// NewRedisStore returns a store counting in the Redis servers of cfg. It tries to
// connect before returning, within cfg.DialTimeout a node, and returns an error only
// for a configuration it cannot use: a store that could not connect keeps trying in the
// background (see Ping).
func NewRedisStore(cfg RedisConfig) (*RedisStore, error) {
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultRedisKeyPrefix
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultRedisDialTimeout
	}
	if cfg.RoundTripTimeout <= 0 {
		cfg.RoundTripTimeout = DefaultRedisRoundTripTimeout
	}
	if cfg.OverLimitKeys == 0 {
		cfg.OverLimitKeys = DefaultOverLimitKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	opt, err := cfg.clientOption()
	if err != nil {
		return nil, fmt.Errorf("configuring the redis rate-limit store: %w", err)
	}
	m, err := newRedisMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &RedisStore{
		prefix: cfg.KeyPrefix, timeout: cfg.RoundTripTimeout, now: cfg.Now, metrics: m,
		closing: make(chan struct{}), done: make(chan struct{}),
	}
	if cfg.OverLimitKeys > 0 {
		s.over = newOverLimit(cfg.OverLimitKeys)
	}
	s.batches.New = func() any { return &redisBatch{} }
	if s.connect(opt) {
		close(s.done)
		return s, nil
	}
	go s.reconnect(opt)
	return s, nil
}

// connect tries once to create the client and reports whether it did.
func (s *RedisStore) connect(opt rueidis.ClientOption) bool {
	c, err := rueidis.NewClient(opt)
	if err != nil {
		err = fmt.Errorf("connecting to redis: %w", err)
		s.lastErr.Store(&err)
		return false
	}
	s.client.Store(&redisClient{c})
	return true
}

func (s *RedisStore) reconnect(opt rueidis.ClientOption) {
	defer close(s.done)
	t := time.NewTicker(redisReconnectEvery)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if s.connect(opt) {
				return
			}
		}
	}
}

// notConnected is the error of a store that has never reached Redis.
func (s *RedisStore) notConnected() error {
	if err := s.lastErr.Load(); err != nil {
		return *err
	}
	return errRedisNotConnected
}

// Ping checks that Redis answers (in a cluster, one node), or returns why the store has
// not connected yet.
func (s *RedisStore) Ping(ctx context.Context) error {
	c := s.client.Load()
	if c == nil {
		return s.notConnected()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := c.Do(ctx, c.B().Ping().Build()).Error(); err != nil {
		return fmt.Errorf("pinging redis: %w", err)
	}
	return nil
}

// Close stops reconnecting and closes the connections; Apply fails after it.
func (s *RedisStore) Close() error {
	s.close.Do(func() {
		close(s.closing)
		<-s.done
		if c := s.client.Load(); c != nil {
			c.Close()
		}
	})
	return nil
}

// Apply implements Store, in one round trip (one per node involved in a cluster), or
// none when every hit is of a counter known to be over its limit.
func (s *RedisStore) Apply(ctx context.Context, hits []Hit, counts []uint64) error {
	b := s.batches.Get().(*redisBatch)
	defer s.release(b)
	now := s.now().UnixNano()
	remote := len(hits)
	b.local = resizeBools(b.local, len(hits))
	if s.over != nil {
		for i := range hits {
			switch hits[i].Op {
			case OpSubtract:
				s.over.forget(hits[i].Key) // the counter falls: it may be under again
				continue
			case OpAddIfFits:
				continue
			}
			if c, ok := s.over.get(&hits[i], now); ok {
				counts[i], b.local[i] = c+hits[i].Amount, true
				remote--
				s.metrics.local.Inc()
			}
		}
	}
	if remote == 0 {
		return nil
	}
	c := s.client.Load()
	if c == nil {
		s.metrics.errors.Inc()
		return fmt.Errorf("counting %d rate-limit hits: %w", remote, s.notConnected())
	}
	for i := range hits {
		if !b.local[i] {
			b.add(c, s.prefix, &hits[i], i)
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	res := c.DoMulti(ctx, b.cmds...)
	cancel()
	s.metrics.roundTrips.Inc()
	s.metrics.latency.Observe(time.Since(start).Seconds())
	if err := s.read(b, res, hits, counts, now); err != nil {
		s.metrics.errors.Inc()
		return fmt.Errorf("counting %d rate-limit hits in redis: %w", remote, err)
	}
	return nil
}

// Lua scripts of the hits that must read their counter before changing it; each is
// one command, so it goes in the Apply's pipeline like the others. EVAL rather than
// EVALSHA: a pipeline cannot fall back on NOSCRIPT, and the server caches the compiled
// script by its hash anyway.
const (
	// addIfFitsScript: KEYS[1] counter, ARGV amount, limit, window end.
	addIfFitsScript = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local a = tonumber(ARGV[1])
if c + a > tonumber(ARGV[2]) then return c + a end
c = redis.call('INCRBY', KEYS[1], a)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return c`
	// subtractScript: KEYS[1] counter, ARGV amount; a counter that is gone stays gone.
	subtractScript = `local c = redis.call('GET', KEYS[1])
if not c then return 0 end
c = math.max(tonumber(c) - tonumber(ARGV[1]), 0)
redis.call('SET', KEYS[1], c, 'KEEPTTL')
return c`
)

// add appends h's commands to b: INCRBY and EXPIREAT, GET to read only, or the script
// of a reservation or of a reservation given back.
func (b *redisBatch) add(c *redisClient, prefix string, h *Hit, i int) {
	// The key is copied: the client may still write it after a timed-out Apply.
	key := prefix + string(h.Key)
	amount := strconv.FormatUint(min(h.Amount, math.MaxInt64), 10)
	switch {
	case h.Op == OpAddIfFits:
		limit := strconv.FormatUint(min(h.Limit, math.MaxInt64), 10)
		b.cmds = append(b.cmds, c.B().Eval().Script(addIfFitsScript).Numkeys(1).Key(key).
			Arg(amount, limit, strconv.FormatInt(h.Expires.Unix(), 10)).Build())
	case h.Op == OpSubtract:
		b.cmds = append(b.cmds, c.B().Eval().Script(subtractScript).Numkeys(1).Key(key).Arg(amount).Build())
	case h.Amount == 0:
		b.cmds = append(b.cmds, c.B().Get().Key(key).Build())
	default:
		b.cmds = append(b.cmds,
			c.B().Incrby().Key(key).Increment(int64(min(h.Amount, math.MaxInt64))).Build(),
			c.B().Expireat().Key(key).Timestamp(h.Expires.Unix()).Build())
		b.hit = append(b.hit, i, -1)
		return
	}
	b.hit = append(b.hit, i)
}

// read sets the counts of the hits sent from their replies, and remembers the counters
// that reached their limit.
func (s *RedisStore) read(b *redisBatch, res []rueidis.RedisResult, hits []Hit, counts []uint64, now int64) error {
	var first error
	for j, r := range res {
		i := b.hit[j]
		if i < 0 {
			if err := r.Error(); err != nil && first == nil {
				first = err
			}
			continue
		}
		n, err := r.AsInt64()
		switch {
		case err == nil:
		case hits[i].Amount == 0 && rueidis.IsRedisNil(err):
			n = 0
		default:
			if first == nil {
				first = err
			}
			continue
		}
		counts[i] = uint64(max(n, 0))
		if s.over != nil && hits[i].Op == OpAdd {
			s.over.note(&hits[i], counts[i], now)
		}
	}
	return first
}

func (s *RedisStore) release(b *redisBatch) {
	clear(b.cmds) // the commands were given back to the client
	b.cmds, b.hit, b.local = b.cmds[:0], b.hit[:0], b.local[:0]
	s.batches.Put(b)
}

func resizeBools(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	s = s[:n]
	clear(s)
	return s
}
