package ratelimit

import (
	"net/http"
	"strconv"
)

// Response header names, canonical.
const (
	// HeaderRateLimited marks a refused answer, as Envoy does.
	HeaderRateLimited = "X-Envoy-Ratelimited"
	HeaderLimit       = "X-Ratelimit-Limit"
	HeaderRemaining   = "X-Ratelimit-Remaining"
	HeaderReset       = "X-Ratelimit-Reset"
)

// Status is one limit a request was counted against.
type Status struct {
	// Policy is the name of the limit's policy; Descriptor names the configured
	// descriptor that holds the limit (its keys and configured values, never the
	// request's), for metrics.
	Policy, Descriptor string
	// Tokens is set for a limit of LLM tokens.
	Tokens bool
	// RequestsPerUnit is the limit, Window its window in seconds.
	RequestsPerUnit uint64
	Window          int64
	// Remaining is what is left in the window after this request (0 once over).
	Remaining uint64
	// Reset is the number of seconds until the window ends.
	Reset int64
	// Over is set when this limit refuses the request.
	Over bool
}

// PolicyResult is the outcome of one policy for one request stage.
type PolicyResult struct {
	Policy string
	// Over: the policy refused the request. Failed: its counters could not be counted.
	Over, Failed bool
}

// Decision is the outcome of a request's checks, stage after stage, and the handle that
// charges its token policies. It is owned by one request and not safe for concurrent use.
type Decision struct {
	lim *Limiter

	statuses []Status
	results  []PolicyResult
	charges  []charge
	over     bool
	failed   bool
	err      error

	// Scratch reused from request to request. keys holds the counter keys of the
	// whole request (charges point into it); the rest is per check.
	keys    []byte
	entries []Entry
	pending []pending
	hits    []Hit
	counts  []uint64
	// hitCharge is, per hit of a ledger operation, the index of its charge.
	hitCharge []int
}

// pending is a limit a check reached, and its counter's key in Decision.keys.
type pending struct {
	policy                      *Policy
	lim                         *limit
	tree                        bool
	keyStart, prefixEnd, keyEnd int
}

// Over reports whether a limit refuses the request.
func (d *Decision) Over() bool { return d.over }

// Failed reports whether the request is refused because its counters could not be
// counted (Config.DenyOnFail).
func (d *Decision) Failed() bool { return d.failed }

// Err is the last error of the store, nil when every check was counted.
func (d *Decision) Err() error { return d.err }

// Statuses are the limits the request was counted against, stage after stage.
func (d *Decision) Statuses() []Status { return d.statuses }

// Results are the outcomes of the policies checked, stage after stage.
func (d *Decision) Results() []PolicyResult { return d.results }

// Refusal is the first limit that refuses the request.
func (d *Decision) Refusal() (Status, bool) {
	for _, st := range d.statuses {
		if st.Over {
			return st, true
		}
	}
	return Status{}, false
}

// Charging reports whether token limits wait for Settle.
func (d *Decision) Charging() bool { return len(d.charges) > 0 }

// SetHeaders sets x-ratelimit-limit, -remaining and -reset as Envoy's rate-limit filter
// does (draft 03 of the RateLimit header fields): of the limits counted, the one with the
// least remaining (the first of equals) gives the remaining and the reset, and the limit
// lists its requests per unit, then every limit as "<limit>;w=<window>". Without limits
// it sets nothing.
func (d *Decision) SetHeaders(h http.Header) {
	if len(d.statuses) == 0 {
		return
	}
	least := 0
	for i, st := range d.statuses {
		if st.Remaining < d.statuses[least].Remaining {
			least = i
		}
	}
	var buf [128]byte
	b := strconv.AppendUint(buf[:0], d.statuses[least].RequestsPerUnit, 10)
	for _, st := range d.statuses {
		b = append(b, ", "...)
		b = strconv.AppendUint(b, st.RequestsPerUnit, 10)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, st.Window, 10)
	}
	h[HeaderLimit] = []string{string(b)}
	h[HeaderRemaining] = []string{strconv.FormatUint(d.statuses[least].Remaining, 10)}
	h[HeaderReset] = []string{strconv.FormatInt(d.statuses[least].Reset, 10)}
}

// Release empties d and gives it back to its Limiter; d must not be used after.
func (d *Decision) Release() {
	l := d.lim
	if l == nil {
		return
	}
	d.reset()
	l.pool.Put(d)
}

// maxPooledKeys keeps a request with huge keys from pinning their memory in the pool.
const maxPooledKeys = 64 << 10

func (d *Decision) reset() {
	clear(d.hits) // drop references to keys
	*d = Decision{
		statuses: d.statuses[:0], results: d.results[:0], charges: d.charges[:0],
		keys: d.keys[:0], entries: d.entries[:0], pending: d.pending[:0],
		hits: d.hits[:0], counts: d.counts[:0], hitCharge: d.hitCharge[:0],
	}
	if cap(d.keys) > maxPooledKeys {
		d.keys = nil
	}
}
