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
	rt.timeout = min0(request, backend)
	var res resilience
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
