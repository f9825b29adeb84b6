package proxy

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Labels and answers of a request ended by its route's idle timeout or maximum stream
// duration (Gloo's idleTimeout and maxStreamDuration), as Envoy words them.
const (
	decisionStreamTimeout = "stream_timeout"
	reasonIdleTimeout     = "idle_timeout"
	reasonMaxDuration     = "max_stream_duration"
	idleTimeoutBody       = "stream timeout"
	maxDurationBody       = "downstream duration timeout"
)

// errStreamTimeout is the cause of a request context that a stream bound ended.
type errStreamTimeout struct{ reason string }

func (e *errStreamTimeout) Error() string { return "stream ended by the route's " + e.reason }

var (
	errIdleTimeout = &errStreamTimeout{reason: reasonIdleTimeout}
	errMaxDuration = &errStreamTimeout{reason: reasonMaxDuration}
)

// noCancel ends nothing: the bounds of a route that has none.
func noCancel() {}

// monoEpoch anchors the monotonic timestamps of stream activity.
var monoEpoch = time.Now()

// streamLimits enforces a route's idle timeout and maximum stream duration on one
// request. Activity (a request body read, a response write) is an atomic store; a timer
// checks it when it would expire. When a bound expires the request's context is
// cancelled with errIdleTimeout or errMaxDuration, and once the answer has started the
// client connection's write deadline is set to now, so a write blocked on a client that
// does not read is cut too.
type streamLimits struct {
	idle     time.Duration
	deadline time.Time // of the maximum stream duration; zero for none
	last     atomic.Int64
	started  atomic.Bool // the answer's head has been written
	upgraded atomic.Bool // the answer switched protocols: the idle timeout no longer applies
	fired    atomic.Pointer[errStreamTimeout]
	cancel   context.CancelCauseFunc
	rc       *http.ResponseController

	mu          sync.Mutex // serializes expiry against end
	ended       bool
	cutDeadline bool // the write deadline was set to cut the answer
	idleTimer   *time.Timer
	maxTimer    *time.Timer
}

// boundRequest applies rt's timeouts to r: the route's request timeout as the context's
// deadline (recorded in rw.deadline), and its idle timeout and maximum stream duration
// as a streamLimits in rw.stream. It returns the request to serve and what ends the
// bounds once the request is done. A route with none of them allocates nothing.
func boundRequest(rw *responseWriter, r *http.Request, rt *route) (*http.Request, func()) {
	idle, maxDur := rt.streamBounds()
	if rt.timeout <= 0 && idle <= 0 && maxDur <= 0 {
		return r, noCancel
	}
	ctx, cancelDeadline := r.Context(), context.CancelFunc(noCancel)
	if rt.timeout > 0 {
		rw.deadline = time.Now().Add(rt.timeout)
		ctx, cancelDeadline = context.WithDeadline(ctx, rw.deadline)
	}
	if idle <= 0 && maxDur <= 0 {
		return r.WithContext(ctx), cancelDeadline
	}
	ctx, cancel := context.WithCancelCause(ctx)
	sl := &streamLimits{idle: idle, cancel: cancel, rc: http.NewResponseController(rw.ResponseWriter)}
	sl.touch()
	sl.mu.Lock() // a timer's callback reads the timers
	if idle > 0 {
		sl.idleTimer = time.AfterFunc(idle, sl.checkIdle)
	}
	if maxDur > 0 {
		sl.deadline = time.Now().Add(maxDur)
		sl.maxTimer = time.AfterFunc(maxDur, func() { sl.expire(errMaxDuration) })
	}
	sl.mu.Unlock()
	rw.stream = sl
	return r.WithContext(ctx), func() {
		sl.end()
		cancel(nil)
		cancelDeadline()
	}
}

// streamBounds returns the route's idle timeout and maximum stream duration (zero: none).
func (rt *route) streamBounds() (idle, maxDur time.Duration) {
	if rt.res == nil {
		return 0, 0
	}
	return rt.res.idle, rt.res.maxDuration
}

func monoNow() int64 { return int64(time.Since(monoEpoch)) }

// touch records activity on the stream.
func (sl *streamLimits) touch() {
	if sl.idle > 0 {
		sl.last.Store(monoNow())
	}
}

// answerStarted records that the answer's head (status code) has been written. A
// protocol switch (WebSocket) hands the connection to a tunnel whose bytes the proxy
// does not see: the idle timeout stops there, the maximum duration still applies.
func (sl *streamLimits) answerStarted(code int) {
	sl.started.Store(true)
	if code == http.StatusSwitchingProtocols {
		sl.upgraded.Store(true)
	}
}

// checkIdle expires the stream when nothing moved for the idle timeout, or waits for the
// rest of it.
func (sl *streamLimits) checkIdle() {
	if sl.upgraded.Load() {
		return
	}
	quiet := time.Duration(monoNow() - sl.last.Load())
	if quiet >= sl.idle {
		sl.expire(errIdleTimeout)
		return
	}
	sl.mu.Lock()
	if !sl.ended {
		sl.idleTimer.Reset(sl.idle - quiet)
	}
	sl.mu.Unlock()
}

// expire ends the stream for cause, unless the request is already done.
func (sl *streamLimits) expire(cause *errStreamTimeout) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.ended || !sl.fired.CompareAndSwap(nil, cause) {
		return
	}
	if sl.started.Load() && sl.rc.SetWriteDeadline(time.Now()) == nil {
		sl.cutDeadline = true
	}
	sl.cancel(cause)
}

// end stops the timers. When a write deadline cut the answer it is cleared again, so a
// connection whose answer was complete after all stays usable.
func (sl *streamLimits) end() {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.ended = true
	if sl.idleTimer != nil {
		sl.idleTimer.Stop()
	}
	if sl.maxTimer != nil {
		sl.maxTimer.Stop()
	}
	if sl.cutDeadline {
		_ = sl.rc.SetWriteDeadline(time.Time{})
	}
}

// readDeadline bounds a request body read that starts now by the stream's bounds: it
// returns the earlier of hard, the idle timeout from now and the maximum duration's end.
func (sl *streamLimits) readDeadline(hard time.Time) time.Time {
	if sl == nil {
		return hard
	}
	d := hard
	if sl.idle > 0 {
		if idle := time.Now().Add(sl.idle); d.IsZero() || idle.Before(d) {
			d = idle
		}
	}
	if !sl.deadline.IsZero() && (d.IsZero() || sl.deadline.Before(d)) {
		d = sl.deadline
	}
	return d
}

// cause returns the stream bound that ended the request, or nil.
func (sl *streamLimits) cause() *errStreamTimeout {
	if sl == nil {
		return nil
	}
	return sl.fired.Load()
}

// expired returns the stream bound that has expired by now, or nil: a body read that hit
// its deadline is then blamed on that bound whether or not its timer has run yet.
func (sl *streamLimits) expired() *errStreamTimeout {
	if sl == nil {
		return nil
	}
	if c := sl.fired.Load(); c != nil {
		return c
	}
	if !sl.deadline.IsZero() && !time.Now().Before(sl.deadline) {
		return errMaxDuration
	}
	if sl.idle > 0 && time.Duration(monoNow()-sl.last.Load()) >= sl.idle {
		return errIdleTimeout
	}
	return nil
}

// streamTimeoutOf returns the stream bound that ended ctx, or nil.
func streamTimeoutOf(ctx context.Context) *errStreamTimeout {
	var st *errStreamTimeout
	if errors.As(context.Cause(ctx), &st) {
		return st
	}
	return nil
}

// writeStreamTimeout answers 408 for a request a stream bound ended before its answer
// started, and labels it.
func writeStreamTimeout(w http.ResponseWriter, st *errStreamTimeout) {
	if rw, ok := w.(*responseWriter); ok {
		rw.decision, rw.reason = decisionStreamTimeout, st.reason
	}
	body := idleTimeoutBody
	if st == errMaxDuration {
		body = maxDurationBody
	}
	writeText(w, http.StatusRequestTimeout, body)
}

// writeContextEnd answers a request whose context ended while the proxy itself held it
// (a fault delay, a back-off): 408 for a stream bound, 504 for the route's timeout, and
// nothing (499 recorded) for a client that went away.
func writeContextEnd(ctx context.Context, rw *responseWriter) {
	if st := streamTimeoutOf(ctx); st != nil {
		writeStreamTimeout(rw, st)
		return
	}
	status, body := classifyUpstreamError(ctx, ctx.Err())
	if status == statusClientClosed {
		rw.status, rw.reason = statusClientClosed, "client_closed"
		return
	}
	rw.decision, rw.reason = decisionUpstreamError, "timeout"
	writeText(rw, status, body)
}
