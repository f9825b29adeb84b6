package proxy_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

func abort(status uint32, pct float64) *snapshotv1.FaultInjection {
	return &snapshotv1.FaultInjection{Abort: &snapshotv1.FaultAbort{HttpStatus: status, Percentage: pct}}
}

func delay(d time.Duration, pct float64) *snapshotv1.FaultInjection {
	return &snapshotv1.FaultInjection{Delay: &snapshotv1.FaultDelay{FixedDelay: durationpb.New(d), Percentage: pct}}
}

// TestFaultAbort: an abort for 100% of requests answers every one with its status and
// Envoy's body, without reaching the backend; one for 0% never does.
func TestFaultAbort(t *testing.T) {
	tests := map[string]struct {
		fault        *snapshotv1.FaultInjection
		wantStatus   int
		wantBody     string
		wantAttempts int
	}{
		"100%":             {fault: abort(503, 100), wantStatus: 503, wantBody: "fault filter abort"},
		"100%, a 4xx":      {fault: abort(418, 100), wantStatus: 418, wantBody: "fault filter abort"},
		"0%":               {fault: abort(503, 0), wantStatus: 200, wantBody: "OK", wantAttempts: 5},
		"delay then abort": {fault: &snapshotv1.FaultInjection{Delay: delay(50*time.Millisecond, 100).Delay, Abort: abort(500, 100).Abort}, wantStatus: 500, wantBody: "fault filter abort"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := newScripted(t, status(200))
			h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Fault = tc.fault })
			for range 5 {
				resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
				require.Equal(t, tc.wantStatus, resp.StatusCode, body)
				require.Equal(t, tc.wantBody, body)
			}
			require.Len(t, b.requests(), tc.wantAttempts)
			if tc.wantAttempts == 0 {
				require.Contains(t, h.access.String(), `"decision":"fault_abort"`)
			}
		})
	}
}

// TestFaultAfterAuthentication: a request that fails authentication gets its 401, not
// the fault; an authenticated one gets the fault.
func TestFaultAfterAuthentication(t *testing.T) {
	b := newScripted(t, status(200))
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, b.hostPort(), true, false)
	s.Listeners[0].VirtualHosts[0].Routes[0].Fault = abort(503, 100)
	h.apply(s, false)
	resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	resp, body = h.do(http.MethodPost, "/openai", tokens.Alice(t), `{}`)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	require.Equal(t, "fault filter abort", body)
	require.Empty(t, b.requests())
}

// TestFaultDelay: a delay for 100% of requests holds each one at least that long before
// it reaches the backend; the route's timeout ends a longer delay with 504, and a client
// that leaves ends it without reaching the backend.
func TestFaultDelay(t *testing.T) {
	t.Run("held, then forwarded", func(t *testing.T) {
		b := newScripted(t, status(200))
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Fault = delay(300*time.Millisecond, 100) })
		start := time.Now()
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
		require.Len(t, b.requests(), 1)
	})
	t.Run("0% is never held", func(t *testing.T) {
		b := newScripted(t, status(200))
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Fault = delay(time.Hour, 0) })
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
	})
	t.Run("the route timeout ends it", func(t *testing.T) {
		b := newScripted(t, status(200))
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) {
			r.Fault = delay(time.Hour, 100)
			r.Timeouts = &snapshotv1.Timeouts{Request: durationpb.New(200 * time.Millisecond)}
		})
		start := time.Now()
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
		require.Equal(t, "upstream request timeout", body)
		require.Less(t, time.Since(start), 5*time.Second)
		require.Empty(t, b.requests())
	})
	t.Run("the client leaving ends it", func(t *testing.T) {
		b := newScripted(t, status(200))
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Fault = delay(time.Hour, 100) })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/openai", nil)
		require.NoError(t, err)
		_, err = http.DefaultClient.Do(req)
		require.Error(t, err)
		require.Eventually(t, func() bool {
			return strings.Contains(h.access.String(), `"status":499`)
		}, 5*time.Second, 10*time.Millisecond, h.access.String())
		require.Empty(t, b.requests())
	})
}
