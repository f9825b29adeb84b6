package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"sync/atomic"
	"time"
)

// attemptCountHeader carries the attempt number to the upstream and the attempts made
// to the client (Gloo's includeRequestAttemptCount, includeAttemptCountInResponse). A
// client's own value never reaches the upstream.
const attemptCountHeader = "X-Envoy-Attempt-Count"

// A discarded attempt's answer is read to its end, so its connection is reused, when it
// is no longer than drainLimit and arrives within drainTimeout; otherwise it is closed
// (and its connection with it).
const (
	drainLimit   = 64 << 10
	drainTimeout = 100 * time.Millisecond
)

// errPerTryTimeout ends an attempt that had no answer within the route's per-try
// timeout (timeouts.backend_request, Gloo's retries.perTryTimeout). It is a deadline:
// the answer, when no retry follows, is 504.
var errPerTryTimeout = fmt.Errorf("upstream per-try timeout: %w", context.DeadlineExceeded)

// errDiscarded ends the attempt whose answer is discarded for a retry.
var errDiscarded = errors.New("answer discarded for a retry")

// attemptsKey is the context key of a request's *attempts.
type attemptsKey struct{}

// attempts is one request's sequence of attempts at its upstream. The reverse proxy
// sends the request through attemptTransport, which finds it in the request's context:
// every attempt, and every decision to retry, happens there, on the upstream's answer
// head and before any of it reaches the client.
type attempts struct {
	res  *resilience
	up   *upstream
	rw   *responseWriter
	made int
	// informed is set once an informational (1xx) answer has been passed on to the
	// client: no retry after that.
	informed atomic.Bool
	// cancel ends the context of the attempt whose answer is being read.
	cancel context.CancelCauseFunc
}

// withAttempts prepares r for the attempts rt's options ask for. A route that needs
// none (no retry, per-try timeout or attempt count) is left alone.
func withAttempts(rw *responseWriter, r *http.Request, rt *route, up *upstream) (*http.Request, func()) {
	if rt.res == nil || !rt.res.needsAttempts() {
		return r, noCancel
	}
	a := &attempts{res: rt.res, up: up, rw: rw}
	return r.WithContext(context.WithValue(r.Context(), attemptsKey{}, a)), a.end
}

// end releases the last attempt once its answer has been forwarded.
func (a *attempts) end() {
	if a.cancel != nil {
		a.cancel(nil)
	}
}

// attemptTransport sends a request through next, attempt by attempt when the request
// carries attempts.
type attemptTransport struct{ next http.RoundTripper }

// RoundTrip sends req, retrying as its route's policy says.
func (t attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	a, _ := req.Context().Value(attemptsKey{}).(*attempts)
	if a == nil {
		return t.next.RoundTrip(req)
	}
	return a.roundTrip(req, t.next)
}

// roundTrip makes the first attempt and the retries the outcome calls for, and returns
// the outcome to forward.
func (a *attempts) roundTrip(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	ctx := req.Context()
	limit := a.retryLimit(req)
	for {
		resp, err := a.try(req, next)
		if a.made > limit || ctx.Err() != nil || a.informed.Load() || !a.retries(resp, err) {
			return a.finish(resp, err)
		}
		a.discard(resp)
		if err := a.res.retry.wait(ctx, a.made); err != nil {
			return a.finish(nil, err)
		}
		req = a.again(req)
	}
}

// retryLimit is the number of retries req may have: none without a retry policy, and
// none for a body that was streamed (only a body in memory can be sent again).
func (a *attempts) retryLimit(req *http.Request) int {
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if a.res.retry == nil || !replayable {
		return 0
	}
	return a.res.retry.retries
}

// retries reports whether the outcome of an attempt calls for a retry.
func (a *attempts) retries(resp *http.Response, err error) bool {
	if err != nil {
		return a.res.retry.retriesError(err)
	}
	return a.res.retry.retriesStatus(resp.StatusCode)
}

// try makes one attempt, bounded until its answer's head by the per-try timeout.
func (a *attempts) try(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	a.made++
	if a.res.countToUpstream {
		req.Header.Set(attemptCountHeader, strconv.Itoa(a.made))
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	if a.res.retry != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got1xxResponse: a.got1xx})
	}
	var timer *time.Timer
	if a.res.perTry > 0 {
		timer = time.AfterFunc(a.res.perTry, func() { cancel(errPerTryTimeout) })
	}
	resp, err := next.RoundTrip(req.WithContext(ctx))
	if timer != nil && !timer.Stop() { // the per-try timeout expired first
		if resp != nil {
			_ = resp.Body.Close()
		}
		resp, err = nil, errPerTryTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	a.cancel = cancel
	return resp, nil
}

// got1xx records an informational answer, which the reverse proxy passes on.
func (a *attempts) got1xx(int, textproto.MIMEHeader) error {
	a.informed.Store(true)
	return nil
}

// finish adds the attempt count to what the client gets, when the route asks.
func (a *attempts) finish(resp *http.Response, err error) (*http.Response, error) {
	if a.res.countToClient {
		n := strconv.Itoa(a.made)
		if resp != nil {
			resp.Header.Set(attemptCountHeader, n)
		} else {
			a.rw.Header().Set(attemptCountHeader, n) // for the proxy's own answer
		}
	}
	return resp, err
}

// discard reads a retried attempt's answer away and ends its attempt.
func (a *attempts) discard(resp *http.Response) {
	if resp == nil {
		return
	}
	cancel := a.cancel
	a.cancel = nil
	if resp.ContentLength <= drainLimit {
		stop := time.AfterFunc(drainTimeout, func() { cancel(errDiscarded) })
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		stop.Stop()
	}
	_ = resp.Body.Close()
	cancel(nil)
}

// again returns the request of the next attempt: the same request, its body sent anew
// from memory, retargeted.
func (a *attempts) again(req *http.Request) *http.Request {
	out := req.Clone(req.Context())
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil { // a body in memory: never fails
			out.Body = body
		}
	}
	a.retarget(out)
	return out
}

// retarget points a retry at its endpoint: a static upstream with several endpoints
// moves to its next turn, as a new request would. A failover upstream's retry is
// pointed at its priority and member by failoverTransport, which follows the request
// from attempt to attempt (previous_priorities moves it to the next priority).
func (a *attempts) retarget(out *http.Request) {
	u := a.up
	if u.llm() || len(u.endpoints) < 2 {
		return
	}
	ep := u.endpoints[u.turn()]
	out.URL.Scheme, out.URL.Host = ep.Scheme, ep.HostPort
}
