package proxy

import (
	"math"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// compileOne compiles a snapshot whose one route is r after set, with a static upstream.
func compileOne(t *testing.T, set func(r *snapshotv1.Route)) (*route, error) {
	t.Helper()
	srv := &Server{cfg: Config{
		Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Now: time.Now,
		Transports: llm.NewTransports(llm.TransportConfig{}),
	}, log: logr.Discard()}
	r := &snapshotv1.Route{Name: "ns/route/rule/0/match/0", Backends: []*snapshotv1.WeightedBackend{{Upstream: "u", Weight: 1}}}
	set(r)
	tbl, err := srv.compile(&snapshotv1.Snapshot{
		Version:   "v",
		Upstreams: []*snapshotv1.Upstream{{Name: "u", Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{Endpoints: []*snapshotv1.Endpoint{{Host: "127.0.0.1", Port: 1}}}}}},
		Listeners: []*snapshotv1.Listener{{
			Name: "l", Port: 1, Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{Name: "vh", Domains: []string{"*"}, Routes: []*snapshotv1.Route{r}}},
		}},
	})
	if err != nil {
		return nil, err
	}
	return tbl.ports[1].hosts.any.routes[0], nil
}

func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

// TestResilienceValidation: a route with an invalid retry, timeout or fault field fails
// the snapshot with an error naming the route and the field.
func TestResilienceValidation(t *testing.T) {
	tests := map[string]struct {
		set     func(r *snapshotv1.Route)
		wantErr string
	}{
		"negative request timeout": {
			set:     func(r *snapshotv1.Route) { r.Timeouts = &snapshotv1.Timeouts{Request: dur(-time.Second)} },
			wantErr: "timeouts.request: -1s is negative",
		},
		"negative per-try timeout": {
			set:     func(r *snapshotv1.Route) { r.Timeouts = &snapshotv1.Timeouts{BackendRequest: dur(-time.Second)} },
			wantErr: "timeouts.backend_request: -1s is negative",
		},
		"invalid duration": {
			set:     func(r *snapshotv1.Route) { r.IdleTimeout = &durationpb.Duration{Seconds: 1, Nanos: -1} },
			wantErr: "idle_timeout:",
		},
		"negative idle timeout": {
			set:     func(r *snapshotv1.Route) { r.IdleTimeout = dur(-time.Millisecond) },
			wantErr: "idle_timeout: -1ms is negative",
		},
		"negative max stream duration": {
			set:     func(r *snapshotv1.Route) { r.MaxStreamDuration = dur(-time.Minute) },
			wantErr: "max_stream_duration: -1m0s is negative",
		},
		"unknown retry condition": {
			set:     func(r *snapshotv1.Route) { r.Retry = &snapshotv1.RetryPolicy{RetryOn: []string{"5xx", "5XX"}} },
			wantErr: `retry.retry_on: unknown condition "5XX"`,
		},
		"retry conditions are names, not a list": {
			set:     func(r *snapshotv1.Route) { r.Retry = &snapshotv1.RetryPolicy{RetryOn: []string{"5xx,reset"}} },
			wantErr: `retry.retry_on: unknown condition "5xx,reset"`,
		},
		"retriable status out of range": {
			set:     func(r *snapshotv1.Route) { r.Retry = &snapshotv1.RetryPolicy{RetriableStatusCodes: []uint32{429, 600}} },
			wantErr: "retry.retriable_status_codes: 600 is not in 100-599",
		},
		"negative base interval": {
			set:     func(r *snapshotv1.Route) { r.Retry = &snapshotv1.RetryPolicy{BaseInterval: dur(-time.Second)} },
			wantErr: "retry.base_interval: -1s is negative",
		},
		"negative max interval": {
			set:     func(r *snapshotv1.Route) { r.Retry = &snapshotv1.RetryPolicy{MaxInterval: dur(-time.Second)} },
			wantErr: "retry.max_interval: -1s is negative",
		},
		"base interval past the max": {
			set: func(r *snapshotv1.Route) {
				r.Retry = &snapshotv1.RetryPolicy{BaseInterval: dur(time.Second), MaxInterval: dur(time.Millisecond)}
			},
			wantErr: "retry.base_interval 1s is longer than retry.max_interval 1ms",
		},
		"abort status out of range": {
			set: func(r *snapshotv1.Route) {
				r.Fault = &snapshotv1.FaultInjection{Abort: &snapshotv1.FaultAbort{HttpStatus: 600, Percentage: 100}}
			},
			wantErr: "fault.abort.http_status 600 is not in 200-599",
		},
		"abort without a status": {
			set: func(r *snapshotv1.Route) {
				r.Fault = &snapshotv1.FaultInjection{Abort: &snapshotv1.FaultAbort{Percentage: 100}}
			},
			wantErr: "fault.abort.http_status 0 is not in 200-599",
		},
		"abort percentage past 100": {
			set: func(r *snapshotv1.Route) {
				r.Fault = &snapshotv1.FaultInjection{Abort: &snapshotv1.FaultAbort{HttpStatus: 503, Percentage: 100.5}}
			},
			wantErr: "fault.abort.percentage 100.5 is not in 0-100",
		},
		"abort percentage NaN": {
			set: func(r *snapshotv1.Route) {
				r.Fault = &snapshotv1.FaultInjection{Abort: &snapshotv1.FaultAbort{HttpStatus: 503, Percentage: math.NaN()}}
			},
			wantErr: "fault.abort.percentage NaN is not in 0-100",
		},
		"negative delay percentage": {
			set: func(r *snapshotv1.Route) {
				r.Fault = &snapshotv1.FaultInjection{Delay: &snapshotv1.FaultDelay{FixedDelay: dur(time.Second), Percentage: -1}}
			},
			wantErr: "fault.delay.percentage -1 is not in 0-100",
		},
		"negative delay": {
			set: func(r *snapshotv1.Route) {
				r.Fault = &snapshotv1.FaultInjection{Delay: &snapshotv1.FaultDelay{FixedDelay: dur(-time.Second), Percentage: 50}}
			},
			wantErr: "fault.delay.fixed_delay: -1s is negative",
		},
		"default base past the max": {
			set:     func(r *snapshotv1.Route) { r.Retry = &snapshotv1.RetryPolicy{MaxInterval: dur(time.Millisecond)} },
			wantErr: "retry.base_interval 25ms is longer than retry.max_interval 1ms",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileOne(t, tc.set)
			require.ErrorContains(t, err, "route ns/route/rule/0/match/0: "+tc.wantErr)
		})
	}
}

// TestRetryDefaults: Envoy's back-off defaults fill what the policy leaves unset, and
// the per-try timeout is kept apart from the route's.
func TestRetryDefaults(t *testing.T) {
	tests := map[string]struct {
		policy    *snapshotv1.RetryPolicy
		base, max time.Duration
	}{
		"none set":  {policy: &snapshotv1.RetryPolicy{}, base: 25 * time.Millisecond, max: 250 * time.Millisecond},
		"base only": {policy: &snapshotv1.RetryPolicy{BaseInterval: dur(time.Second)}, base: time.Second, max: 10 * time.Second},
		"both":      {policy: &snapshotv1.RetryPolicy{BaseInterval: dur(time.Second), MaxInterval: dur(time.Second)}, base: time.Second, max: time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rt, err := compileOne(t, func(r *snapshotv1.Route) {
				r.Retry = tc.policy
				r.Timeouts = &snapshotv1.Timeouts{Request: dur(time.Minute), BackendRequest: dur(time.Second)}
			})
			require.NoError(t, err)
			require.Equal(t, tc.base, rt.res.retry.base)
			require.Equal(t, tc.max, rt.res.retry.max)
			require.Equal(t, time.Minute, rt.timeout)
			require.Equal(t, time.Second, rt.res.perTry)
		})
	}
}

// TestFaultShares: each request draws its chance; a share of 0 never acts and 100
// always does, and a fault that can never act compiles to none.
func TestFaultShares(t *testing.T) {
	f := &fault{draw: func() float64 { return 99.99 }}
	require.True(t, f.hits(100))
	require.False(t, f.hits(99.9))
	f.draw = func() float64 { return 0 }
	require.False(t, f.hits(0))
	require.True(t, f.hits(0.1))
	rt, err := compileOne(t, func(r *snapshotv1.Route) {
		r.Fault = &snapshotv1.FaultInjection{
			Delay: &snapshotv1.FaultDelay{FixedDelay: dur(time.Second)},
			Abort: &snapshotv1.FaultAbort{HttpStatus: 503},
		}
	})
	require.NoError(t, err)
	require.Nil(t, rt.res, "a fault for 0% of requests")
}

// TestPlainRouteHasNoResilience: a route that uses none of the options compiles to none,
// so its requests skip them; zero values count as unset.
func TestPlainRouteHasNoResilience(t *testing.T) {
	rt, err := compileOne(t, func(r *snapshotv1.Route) {
		r.Timeouts = &snapshotv1.Timeouts{Request: dur(time.Second)}
		r.IdleTimeout, r.MaxStreamDuration = dur(0), dur(0)
	})
	require.NoError(t, err)
	require.Nil(t, rt.res)
	require.Equal(t, time.Second, rt.timeout)
}
