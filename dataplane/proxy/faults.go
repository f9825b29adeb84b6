package proxy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Label and body of a request answered by an injected abort, as Envoy words it.
const (
	decisionFaultAbort = "fault_abort"
	faultAbortBody     = "fault filter abort"
)

// fault is a compiled snapshot FaultInjection (Gloo's faults): a share of the requests
// is held for a fixed delay, then a share is answered with a status of the route's
// choosing. Each request draws its own chances.
type fault struct {
	delay       time.Duration
	delayPct    float64 // of requests, 0-100
	abortStatus int     // 0: no abort
	abortPct    float64 // of requests, 0-100
	// draw returns a random number in [0, 100); tests replace it.
	draw func() float64
}

// compileFault validates and compiles f; one that can never act compiles to nil.
func compileFault(f *snapshotv1.FaultInjection) (*fault, error) {
	if f == nil {
		return nil, nil
	}
	out := &fault{draw: func() float64 { return rand.Float64() * 100 }} //nolint:gosec // a share of requests, not a secret
	if d := f.GetDelay(); d != nil {
		var err error
		if out.delay, err = duration("fault.delay.fixed_delay", d.GetFixedDelay()); err != nil {
			return nil, err
		}
		if out.delayPct, err = percentage("fault.delay.percentage", d.GetPercentage()); err != nil {
			return nil, err
		}
	}
	if a := f.GetAbort(); a != nil {
		if a.GetHttpStatus() < 200 || a.GetHttpStatus() > 599 {
			return nil, fmt.Errorf("fault.abort.http_status %d is not in 200-599", a.GetHttpStatus())
		}
		var err error
		if out.abortPct, err = percentage("fault.abort.percentage", a.GetPercentage()); err != nil {
			return nil, err
		}
		out.abortStatus = int(a.GetHttpStatus())
	}
	if (out.delay == 0 || out.delayPct == 0) && (out.abortStatus == 0 || out.abortPct == 0) {
		return nil, nil
	}
	return out, nil
}

// percentage returns p, or an error naming field when p is not a share in 0-100.
func percentage(field string, p float64) (float64, error) {
	if math.IsNaN(p) || p < 0 || p > 100 {
		return 0, fmt.Errorf("%s %v is not in 0-100", field, p)
	}
	return p, nil
}

// hits draws whether this request is among pct percent.
func (f *fault) hits(pct float64) bool {
	return pct >= 100 || pct > 0 && f.draw() < pct
}

// injectFault applies rt's fault to r, after authorization and before anything is
// forwarded, and reports whether it answered the request. A delay ends early when the
// client leaves or the route's timeout or a stream bound expires, which is answered as
// such.
func injectFault(rw *responseWriter, r *http.Request, rt *route) bool {
	if rt.res == nil || rt.res.fault == nil {
		return false
	}
	f := rt.res.fault
	if f.delay > 0 && f.hits(f.delayPct) && !hold(r.Context(), f.delay) {
		writeContextEnd(r.Context(), rw)
		return true
	}
	if f.abortStatus != 0 && f.hits(f.abortPct) {
		rw.decision = decisionFaultAbort
		writeText(rw, f.abortStatus, faultAbortBody)
		return true
	}
	return false
}

// hold waits for d, and reports false when ctx ended first.
func hold(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
