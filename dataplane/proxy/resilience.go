package proxy

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// resilience is what a route does about slow and failing requests beyond its request
// timeout (Gloo's retries, idleTimeout, maxStreamDuration, faults and attempt-count
// headers). A route with none of them has none, so its requests pay nothing for them.
type resilience struct {
	// retry retries failed attempts; nil: none.
	retry *retryPolicy
	// perTry bounds each attempt until its answer's head; zero: none.
	perTry time.Duration
	// countToUpstream and countToClient send x-envoy-attempt-count.
	countToUpstream, countToClient bool
	// fault delays and aborts requests; nil: none.
	fault *fault
	// idle ends a request when no byte has gone either way for that long; zero: none.
	idle time.Duration
	// maxDuration ends a request that has lasted that long; zero: none.
	maxDuration time.Duration
}

// compileResilience validates and compiles the route's timeouts, retries and faults.
func (rt *route) compileResilience(r *snapshotv1.Route) error {
	request, err := duration("timeouts.request", r.GetTimeouts().GetRequest())
	if err != nil {
		return err
	}
	backend, err := duration("timeouts.backend_request", r.GetTimeouts().GetBackendRequest())
	if err != nil {
		return err
	}
	rt.timeout = request
	res := resilience{
		perTry: backend, countToUpstream: r.GetIncludeRequestAttemptCount(),
		countToClient: r.GetIncludeAttemptCountInResponse(),
	}
	if res.retry, err = compileRetry(r.GetRetry()); err != nil {
		return err
	}
	if res.fault, err = compileFault(r.GetFault()); err != nil {
		return err
	}
	if res.idle, err = duration("idle_timeout", r.GetIdleTimeout()); err != nil {
		return err
	}
	if res.maxDuration, err = duration("max_stream_duration", r.GetMaxStreamDuration()); err != nil {
		return err
	}
	if res != (resilience{}) {
		rt.res = &res
	}
	return nil
}

// needsAttempts reports whether requests go to the upstream attempt by attempt.
func (res *resilience) needsAttempts() bool {
	return res.retry != nil || res.perTry > 0 || res.countToUpstream || res.countToClient
}

// replayLimit is the largest body the route reads into memory so that it can be sent
// again: retryBodyLimit with a retry policy, nothing more than usual without.
func (rt *route) replayLimit() int64 {
	if rt.res == nil || rt.res.retry == nil {
		return 0
	}
	return retryBodyLimit
}

// duration returns d (zero when absent), or an error naming field when d is not a valid
// duration or is negative.
func duration(field string, d *durationpb.Duration) (time.Duration, error) {
	if d == nil {
		return 0, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	if d.AsDuration() < 0 {
		return 0, fmt.Errorf("%s: %s is negative", field, d.AsDuration())
	}
	return d.AsDuration(), nil
}
