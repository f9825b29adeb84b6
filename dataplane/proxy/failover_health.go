package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// Outlier ejection of failover members, after Envoy's outlier detection defaults: a
// member whose last ejectAfter attempts all failed (a 5xx or 429 answer, or no answer:
// connection refused or reset, per-try timeout; a client that left counts for nothing)
// is ejected: skipped for baseEjection times the number of times it was ejected in a
// row, at most maxEjection. An attempt it answers resets both counts. A member is never
// ejected when it is the last of its upstream not ejected, and a request whose
// priorities from where it stands are all ejected tries them anyway: failover fails
// toward trying. Health is per proxy; a new snapshot keeps the health of every member
// that is still the same provider, endpoint and model at the same place.
const (
	ejectAfter   = 5                 // Envoy's consecutive_5xx
	baseEjection = 30 * time.Second  // Envoy's base_ejection_time
	maxEjection  = 300 * time.Second // Envoy's max_ejection_time
)

// health is one member's outlier state.
type health struct {
	// until is when the current ejection ends, in Unix nanoseconds; 0 when none.
	until     atomic.Int64
	mu        sync.Mutex
	failures  int // consecutive
	ejections int // in a row
}

// ejected reports whether the member is ejected at now.
func (h *health) ejected(now time.Time) bool {
	u := h.until.Load()
	return u != 0 && now.UnixNano() < u
}

// succeeded records an attempt the member answered.
func (h *health) succeeded() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures, h.ejections = 0, 0
}

// failed records a failed attempt at now and reports whether the member has now
// failed ejectAfter times in a row (and is not ejected already).
func (h *health) failed(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures++
	return h.failures >= ejectAfter && !h.ejected(now)
}

// eject ejects the member from now on and returns for how long.
func (h *health) eject(now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = 0
	h.ejections++
	d := maxEjection
	if h.ejections < int(maxEjection/baseEjection) {
		d = time.Duration(h.ejections) * baseEjection
	}
	h.until.Store(now.Add(d).UnixNano())
	return d
}

// record brings the health of m, of priority p, up to an attempt's outcome: failed or
// not. An ejection is logged.
func (f *failover) record(p *priority, m *member, failed bool) {
	if !failed {
		m.health.succeeded()
		return
	}
	now := f.now()
	if m.health.failed(now) && f.othersHealthy(m, now) {
		d := m.health.eject(now)
		f.log.Info("failover member ejected after failing in a row", "upstream", f.name,
			"priority", p.index, "member", m.label, "failures", ejectAfter, "for", d.String())
	}
}

// othersHealthy reports whether a member of f other than m is not ejected at now.
func (f *failover) othersHealthy(m *member, now time.Time) bool {
	for _, p := range f.priorities {
		for _, o := range p.members {
			if o != m && !o.health.ejected(now) {
				return true
			}
		}
	}
	return false
}
