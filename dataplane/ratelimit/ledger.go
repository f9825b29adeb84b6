package ratelimit

import (
	"context"
	"time"
)

// The ledger of a request's token limits. Check only reads a token limit's counter (a
// window already at its limit refuses the request); what the answer used is added
// later, by the operations below, each one Store.Apply for every token limit of the
// request:
//
//   - Reserve, before the request is sent: a policy with reserve_max_tokens adds the
//     tokens the request may use (its max_tokens and its prompt) only if they fit under
//     the limit, else the request is refused and what other policies reserved is given
//     back (a second round trip, on refusal only).
//   - Progress, while a stream is answered, to each policy with stop_streams: adds what
//     the stream has used since, at least every progressStep tokens or sooner when that
//     reaches the limit, and reports when a counter reached its limit.
//   - Settle, when the answer ends: brings what the request added to its total use,
//     adding what is missing or giving back what a reservation held beyond it.
//
// A request's tokens are counted once, in the window where they were reserved or added:
// a window that ended keeps what was added in it, and only what the request added in the
// current window can be given back.

// progressStep is how many tokens a stream may use between two Progress round trips
// while its limits are not within reach: it bounds a stop's lateness per concurrent
// stream of one owner.
const progressStep = 64

// charge is one token limit of the request and what the request added to it.
type charge struct {
	lim                    *limit
	prefixStart, prefixEnd int // the counter's key without the window, in Decision.keys
	status                 int // index of the limit's Status
	stop, reserve          bool
	hitLimit               uint64 // Policy.hitLimit
	// count is the counter as the last operation saw it.
	count uint64
	// added is what the request added, in every window; held is the part of it in the
	// window that starts at heldStart.
	added, held uint64
	heldStart   int64
}

// roll starts the window of now: what c held in an earlier one stays there.
func (c *charge) roll(now int64) {
	if ws := windowStart(c.lim, now); ws != c.heldStart {
		c.heldStart, c.held = ws, 0
	}
}

// Reserving reports whether a policy of the request reserves max_tokens.
func (d *Decision) Reserving() bool {
	for i := range d.charges {
		if d.charges[i].reserve {
			return true
		}
	}
	return false
}

// Stopping reports whether a policy of the request stops streams over budget.
func (d *Decision) Stopping() bool {
	for i := range d.charges {
		if d.charges[i].stop {
			return true
		}
	}
	return false
}

// Reserve reserves tokens in every limit of a reserving policy, and reports whether they
// fit in all of them. When they do not, d is refused (Over, Refusal) and nothing stays
// reserved; the statuses show what was left. A store error leaves the request
// unreserved and refused only under DenyOnFail (Failed).
func (d *Decision) Reserve(ctx context.Context, tokens uint64) (bool, error) {
	if tokens == 0 || d.over || !d.Reserving() {
		return true, nil
	}
	now := d.lim.now().Unix()
	err := d.apply(ctx, now, func(c *charge) (HitOp, uint64) {
		if c.reserve {
			return OpAddIfFits, tokens
		}
		return OpAdd, 0
	})
	if err != nil {
		d.err, d.failed = err, d.failed || d.lim.denyOnFail
		return !d.failed, err
	}
	fits := true
	for j, i := range d.hitCharge {
		c, count := &d.charges[i], d.counts[j]
		st := &d.statuses[c.status]
		if count > c.lim.perUnit {
			fits, st.Over = false, true
			c.count = count - min(count, tokens)
		} else {
			c.count, c.added, c.held = count, c.added+tokens, c.held+tokens
		}
		st.Remaining = c.lim.perUnit - min(c.count, c.lim.perUnit)
	}
	if fits {
		return true, nil
	}
	d.over = true
	err = d.apply(ctx, now, func(c *charge) (HitOp, uint64) { return OpSubtract, c.held })
	d.charges = d.charges[:0] // nothing is answered, nothing is charged
	return false, err
}

// Progress adds a streamed answer's use so far (its total, input and output) to the
// limits of the request's stop policies when one of them needs to know, and returns the
// name of a stop policy whose counter has reached its limit: the stream is to end. It
// returns "" while the stream may go on, and always without a stop policy. A store error
// is returned; the stream goes on (Settle adds what is missing) unless the limiter
// denies on failure: then it ends, on the first stop policy's name.
func (d *Decision) Progress(ctx context.Context, total uint64) (string, error) {
	if d.over || !d.due(total) {
		return "", nil
	}
	err := d.apply(ctx, d.lim.now().Unix(), func(c *charge) (HitOp, uint64) {
		if !c.stop {
			return OpAdd, 0 // settled at the end: its counter never falls
		}
		return OpAdd, total - min(total, c.added)
	})
	if err != nil {
		return d.failedStop(), err
	}
	stop := ""
	for j, i := range d.hitCharge {
		c := &d.charges[i]
		amount := total - c.added
		c.count, c.added, c.held = d.counts[j], total, c.held+amount
		if stop == "" && c.count >= c.lim.perUnit {
			stop = d.statuses[c.status].Policy
		}
	}
	return stop, nil
}

// failedStop is the stop policy that ends a stream whose counters could not be
// counted, under deny-on-fail; "" otherwise.
func (d *Decision) failedStop() string {
	if !d.lim.denyOnFail {
		return ""
	}
	for i := range d.charges {
		if c := &d.charges[i]; c.stop {
			return d.statuses[c.status].Policy
		}
	}
	return ""
}

// due reports whether a stop policy's counter is to be brought up to total: when the
// tokens not yet added reach progressStep or what was left under its limit.
func (d *Decision) due(total uint64) bool {
	for i := range d.charges {
		c := &d.charges[i]
		if !c.stop || total <= c.added {
			continue
		}
		left := c.lim.perUnit - min(c.count, c.lim.perUnit)
		if delta := total - c.added; delta >= progressStep || delta >= left {
			return true
		}
	}
	return false
}

// Settle brings what the request added to each of its limits to total, the tokens its
// answer used: it adds what is missing, or gives back what a reservation held beyond
// total in the current window. It may be called again (a later call settles anew); it
// does nothing for a refused request. ctx bounds a networked store's round trip: pass
// one that outlives the client's request.
func (d *Decision) Settle(ctx context.Context, total uint64) error {
	if d.over {
		return nil
	}
	err := d.apply(ctx, d.lim.now().Unix(), func(c *charge) (HitOp, uint64) {
		if total >= c.added {
			return OpAdd, total - c.added
		}
		return OpSubtract, min(c.added-total, c.held)
	})
	if err != nil {
		return err
	}
	for j, i := range d.hitCharge {
		c := &d.charges[i]
		if op := d.hits[j].Op; op == OpSubtract {
			c.added, c.held = c.added-d.hits[j].Amount, c.held-d.hits[j].Amount
		} else {
			c.added, c.held = total, c.held+d.hits[j].Amount
		}
		c.count = d.counts[j]
	}
	return nil
}

// apply makes one hit per charge whose amount (from op) is not zero, in the windows of
// now, and applies them in one Store.Apply. d.hits, d.counts and d.hitCharge then hold
// the hits, their counts and their charges.
func (d *Decision) apply(ctx context.Context, now int64, op func(*charge) (HitOp, uint64)) error {
	base := len(d.keys)
	defer func() { d.keys = d.keys[:base] }() // the store keeps no key past Apply
	d.hits, d.hitCharge = d.hits[:0], d.hitCharge[:0]
	for i := range d.charges {
		c := &d.charges[i]
		c.roll(now)
		kind, amount := op(c)
		if amount == 0 {
			continue
		}
		start := len(d.keys)
		d.keys = append(d.keys, d.keys[c.prefixStart:c.prefixEnd]...)
		d.keys = appendWindow(d.keys, c.lim, now)
		end := windowStart(c.lim, now) + c.lim.window
		lim := c.hitLimit
		if kind == OpAddIfFits {
			lim = c.lim.perUnit
		}
		d.hits = append(d.hits, Hit{
			Key: d.keys[start:len(d.keys):len(d.keys)], Amount: amount, Op: kind,
			Expires: time.Unix(end, 0), Limit: lim,
		})
		d.hitCharge = append(d.hitCharge, i)
	}
	if len(d.hits) == 0 {
		return nil
	}
	d.counts = resize(d.counts, len(d.hits))
	return d.lim.store.Apply(ctx, d.hits, d.counts)
}
