package proxy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// retryBodyLimit is the largest request body, of declared length, that a route with a
// retry policy reads into memory (under the proxy's bound on buffered bodies) so that a
// retry can send it again: 1 MiB, a long prompt with room to spare. Bodies up to
// prereadLimit are in memory anyway; a larger body, one of unknown length (chunked), or
// one that finds the memory bound reached is streamed, and a streamed body is never
// retried.
const retryBodyLimit = 1 << 20

// retryOn is a set of Envoy's retry conditions (x-envoy-retry-on).
type retryOn uint8

const (
	retryOn5xx retryOn = 1 << iota
	retryOnGatewayError
	retryOnReset
	retryOnConnectFailure
	retryOnRetriable4xx
	retryOnRefusedStream
	retryOnRetriableStatusCodes
)

// retryOnNames are the conditions a snapshot may name, as Envoy names them.
var retryOnNames = map[string]retryOn{
	"5xx":                    retryOn5xx,
	"gateway-error":          retryOnGatewayError,
	"reset":                  retryOnReset,
	"connect-failure":        retryOnConnectFailure,
	"retriable-4xx":          retryOnRetriable4xx,
	"refused-stream":         retryOnRefusedStream,
	"retriable-status-codes": retryOnRetriableStatusCodes,
}

// Envoy's back-off defaults: a base of 25ms, and ten times the base at most.
const (
	defaultRetryBase  = 25 * time.Millisecond
	defaultRetryRatio = 10
)

// retryPolicy is a compiled snapshot RetryPolicy.
type retryPolicy struct {
	on       retryOn
	statuses []uint16 // retriable_status_codes: retried whatever on says
	retries  int      // after the first attempt
	base     time.Duration
	max      time.Duration
	// previousPriorities asks that a retry go to the next priority of a failover
	// upstream (failover.go); it changes nothing for other upstreams.
	previousPriorities bool
	// updateFrequency is how many attempts are made at a priority before a retry
	// moves on (at least 1).
	updateFrequency int
	// jitter returns a random duration in [0, n); tests replace it.
	jitter func(n int64) int64
}

// compileRetry validates and compiles p; nil stays nil.
func compileRetry(p *snapshotv1.RetryPolicy) (*retryPolicy, error) {
	if p == nil {
		return nil, nil
	}
	rp := &retryPolicy{
		retries: int(p.GetNumRetries()), previousPriorities: p.GetPreviousPriorities(), jitter: rand.N[int64],
		updateFrequency: int(max(p.GetPreviousPrioritiesUpdateFrequency(), 1)),
	}
	for _, name := range p.GetRetryOn() {
		c, ok := retryOnNames[name]
		if !ok {
			return nil, fmt.Errorf("retry.retry_on: unknown condition %q", name)
		}
		rp.on |= c
	}
	for _, code := range p.GetRetriableStatusCodes() {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("retry.retriable_status_codes: %d is not in 100-599", code)
		}
		rp.statuses = append(rp.statuses, uint16(code))
	}
	var err error
	if rp.base, err = duration("retry.base_interval", p.GetBaseInterval()); err != nil {
		return nil, err
	}
	if rp.max, err = duration("retry.max_interval", p.GetMaxInterval()); err != nil {
		return nil, err
	}
	if rp.base == 0 {
		rp.base = defaultRetryBase
	}
	if rp.max == 0 {
		rp.max = defaultRetryRatio * rp.base
	}
	if rp.base > rp.max {
		return nil, fmt.Errorf("retry.base_interval %s is longer than retry.max_interval %s", rp.base, rp.max)
	}
	return rp, nil
}

// retriesStatus reports whether an answer with status code is retried.
func (p *retryPolicy) retriesStatus(code int) bool {
	switch {
	case p.on&retryOn5xx != 0 && code >= 500 && code <= 599,
		p.on&retryOnGatewayError != 0 && (code == 502 || code == 503 || code == 504),
		p.on&retryOnRetriable4xx != 0 && code == 409:
		return true
	}
	for _, s := range p.statuses {
		if int(s) == code {
			return true
		}
	}
	return false
}

// retriesError reports whether an attempt that failed with err, without an answer, is
// retried. As in Envoy, "5xx", "gateway-error" and "reset" cover every failure before
// the answer (connection refused or reset, per-try timeout); "connect-failure" and
// "refused-stream" cover only theirs.
func (p *retryPolicy) retriesError(err error) bool {
	conditions := retryOn5xx | retryOnGatewayError | retryOnReset
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		conditions |= retryOnConnectFailure
	case strings.Contains(err.Error(), "REFUSED_STREAM"): // HTTP/2's error code, by name
		conditions |= retryOnRefusedStream
	}
	return p.on&conditions != 0
}

// backoff is the wait before retry n (1 for the first retry): Envoy's fully jittered
// exponential back-off, a random time in [0, (2^n - 1) * base), capped at max.
func (p *retryPolicy) backoff(n int) time.Duration {
	ceiling := p.max
	if n < 62 {
		if mult := int64(1)<<n - 1; mult <= int64(p.max/p.base) {
			ceiling = min(ceiling, p.base*time.Duration(mult))
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(p.jitter(int64(ceiling)))
}

// wait sleeps for the back-off before retry n, or until ctx ends (the client left, the
// route's timeout or a stream bound expired), which it returns.
func (p *retryPolicy) wait(ctx context.Context, n int) error {
	t := time.NewTimer(p.backoff(n))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
