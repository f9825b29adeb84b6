package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Config configures a Limiter.
type Config struct {
	// Store keeps the counters; nil means a MemoryStore with default bounds and Now.
	Store Store
	// Now is the clock of the windows; nil means time.Now.
	Now func() time.Time
	// DenyOnFail refuses a request whose counters the store could not count (Gloo's
	// denyOnFail); by default such a request is let through.
	DenyOnFail bool
}

// Limiter checks requests against compiled policies. It is safe for concurrent use.
type Limiter struct {
	store      Store
	now        func() time.Time
	denyOnFail bool
	pool       sync.Pool
}

// New returns a Limiter.
func New(cfg Config) *Limiter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(MemoryConfig{Now: cfg.Now})
	}
	l := &Limiter{store: cfg.Store, now: cfg.Now, denyOnFail: cfg.DenyOnFail}
	l.pool.New = func() any { return &Decision{} }
	return l
}

// Acquire returns an empty Decision for one request; Release gives it back.
func (l *Limiter) Acquire() *Decision {
	d := l.pool.Get().(*Decision)
	d.lim = l
	return d
}

// Check checks req against one stage's policies and adds the outcome to d: a request
// policy counts the request (1) in every window it reaches; a token policy only reads
// its windows and refuses one already at its limit, and d keeps the counters for its
// ledger (ledger.go).
// Every counter of the stage is counted in one Store.Apply, whatever the outcome, as the
// rate-limit service does.
func (l *Limiter) Check(ctx context.Context, policies []*Policy, req *Request, d *Decision) {
	if len(policies) == 0 {
		return
	}
	now := l.now()
	sec := now.Unix()
	d.pending, d.entries = d.pending[:0], d.entries[:0]
	for _, p := range policies {
		p.collect(req, d, sec)
	}
	d.hits = d.hits[:0]
	for _, pd := range d.pending {
		var amount uint64 = 1
		if pd.policy.tokens {
			amount = 0
		}
		end := windowStart(pd.lim, sec) + pd.lim.window
		d.hits = append(d.hits, Hit{
			Key: d.keys[pd.keyStart:pd.keyEnd], Amount: amount, Expires: time.Unix(end, 0), Limit: pd.policy.hitLimit(pd.lim),
		})
	}
	firstStatus := len(d.statuses)
	var err error
	if len(d.hits) > 0 {
		d.counts = resize(d.counts, len(d.hits))
		if err = l.store.Apply(ctx, d.hits, d.counts); err != nil {
			d.err, d.failed = err, d.failed || l.denyOnFail
		} else {
			d.judge(sec)
		}
	}
	d.addResults(policies, firstStatus, err != nil)
	if d.over {
		d.charges = d.charges[:0] // nothing is answered, nothing is charged
	}
}

// judge turns the counts of d.pending into statuses.
func (d *Decision) judge(now int64) {
	for i, pd := range d.pending {
		count, lim := d.counts[i], pd.lim.perUnit
		st := Status{
			Policy: pd.policy.name, Descriptor: pd.lim.label, Tokens: pd.policy.tokens,
			RequestsPerUnit: lim, Window: pd.lim.window,
			Reset: windowStart(pd.lim, now) + pd.lim.window - now,
		}
		if pd.policy.tokens {
			st.Over = count >= lim
			d.charges = append(d.charges, charge{
				lim: pd.lim, prefixStart: pd.keyStart, prefixEnd: pd.prefixEnd, status: len(d.statuses),
				stop: pd.policy.stopStreams, reserve: pd.policy.reserveMaxTokens, count: count,
				hitLimit: pd.policy.hitLimit(pd.lim),
			})
		} else {
			st.Over = count > lim
		}
		if count < lim {
			st.Remaining = lim - count
		}
		d.over = d.over || st.Over
		d.statuses = append(d.statuses, st)
	}
}

// addResults records, per policy of the stage, whether it refused the request.
func (d *Decision) addResults(policies []*Policy, firstStatus int, failed bool) {
	for _, p := range policies {
		res := PolicyResult{Policy: p.name, Failed: failed}
		for _, st := range d.statuses[firstStatus:] {
			if st.Policy == p.name && st.Over {
				res.Over = true
			}
		}
		d.results = append(d.results, res)
	}
}

func resize(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}
