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
	// Amount is added to the counter (or taken off, with OpSubtract); 0 only reads it
	// (and creates nothing).
	Amount uint64
	// Op is what the hit does with Amount.
	Op HitOp
	// Expires is the end of the counter's window: the store may forget the counter
	// from then on.
	Expires time.Time
	// Limit, when not 0 on an OpAdd hit, is the count from which the counter refuses
	// every later hit of its window (a policy's requests per unit). A networked store
	// may remember a counter that reached it and answer later OpAdd hits of the window
	// without counting them, with the remembered count plus Amount: the Limiter's
	// decision is the same, since such a counter only grows within its window (the
	// Limiter leaves Limit 0 on the hits of counters that may fall, those of policies
	// that reserve or stop streams). 0 leaves every hit to the store. An OpAddIfFits
	// hit's Limit is the bound it must fit under, and the store counts it.
	Limit uint64
}

// HitOp is what a hit does to its counter.
type HitOp uint8

const (
	// OpAdd adds Amount.
	OpAdd HitOp = iota
	// OpAddIfFits adds Amount only when the counter plus Amount is at most Limit
	// (a reservation). The count is the counter after the addition or, when Amount did
	// not fit, the counter plus Amount: a count above Limit says it did not fit.
	OpAddIfFits
	// OpSubtract takes Amount off an existing counter, never below zero, and creates
	// nothing (a reservation given back). The count is the counter after it.
	OpSubtract
)

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
