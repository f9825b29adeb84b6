package ratelimit

import (
	"context"
	"errors"
	"time"
)

// Hit is one increment of one counter.
type Hit struct {
	// Key names the counter: opaque bytes, already unique per policy, descriptor and
	// window. A store may prefix it but must not keep the slice past Apply.
	Key []byte
	// Amount is added to the counter; 0 only reads it (and creates nothing).
	Amount uint64
	// Expires is the end of the counter's window: the store may forget the counter
	// from then on.
	Expires time.Time
	// Limit, when not 0, is the count from which the counter refuses every later hit of
	// its window (a policy's requests per unit). A networked store may remember a
	// counter that reached it and answer later hits of the window without counting
	// them, with the remembered count plus Amount: the Limiter's decision is the same,
	// since a counter only grows within its window. 0 leaves every hit to the store.
	Limit uint64
}

// Store keeps the counters. The Limiter calls Apply once per request stage with every
// hit of that stage, so a networked store can count them in one round trip (in Redis:
// one pipeline of INCRBY and EXPIREAT per hit). Implementations must be safe for
// concurrent use.
type Store interface {
	// Apply adds each hit's Amount to its counter, creating it at zero when it does not
	// exist or has expired, and sets counts[i] to hits[i]'s counter after the addition.
	// len(counts) == len(hits). On error the counts are not to be trusted and the
	// Limiter lets the request through unless it was configured to deny on failure.
	Apply(ctx context.Context, hits []Hit, counts []uint64) error
}

// ErrStoreFull is returned by the memory store when a new counter does not fit.
var ErrStoreFull = errors.New("rate limit store is full")
