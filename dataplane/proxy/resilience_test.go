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
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileOne(t, tc.set)
			require.ErrorContains(t, err, "route ns/route/rule/0/match/0: "+tc.wantErr)
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
