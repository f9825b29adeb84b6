package proxy

import (
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
