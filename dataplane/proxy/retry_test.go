package proxy_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// scriptedBackend answers its n-th request as its n-th step says (the last step for every
// request past them) and records what each request carried.
type scriptedBackend struct {
	srv   *httptest.Server
	steps []backendBehaviour
	mu    sync.Mutex
	seen  []seenRequest
	conns int // connections opened to it
}

type seenRequest struct {
	header http.Header
	body   string
}

func newScripted(t *testing.T, steps ...backendBehaviour) *scriptedBackend {
	t.Helper()
	b := &scriptedBackend{steps: steps}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		n := len(b.seen)
		b.seen = append(b.seen, seenRequest{header: r.Header.Clone(), body: string(body)})
		b.mu.Unlock()
		b.steps[min(n, len(b.steps)-1)](w, r)
	}))
	b.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.mu.Lock()
			b.conns++
			b.mu.Unlock()
		}
	}
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *scriptedBackend) hostPort() string { return strings.TrimPrefix(b.srv.URL, "http://") }

func (b *scriptedBackend) requests() []seenRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seenRequest(nil), b.seen...)
}

// status answers code with a short body.
func status(code int) backendBehaviour {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}
}

// hangUp drops the connection without an answer.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = c.Close()
	}
}

// retryPolicy is a policy retrying num times on the conditions, without waiting long.
func retryPolicy(num uint32, on ...string) *snapshotv1.RetryPolicy {
	return &snapshotv1.RetryPolicy{RetryOn: on, NumRetries: num, BaseInterval: durationpb.New(time.Millisecond)}
}

// retryRoute serves the tutorial's route in front of backend, with set applied to it.
func retryRoute(t *testing.T, backend string, set func(r *snapshotv1.Route)) *harness {
	t.Helper()
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, backend, false, false)
	set(s.Listeners[0].VirtualHosts[0].Routes[0])
	h.apply(s, false)
	return h
}

// TestRetryConditions: an attempt is retried, num_retries times at most, exactly when its
// outcome matches the policy's conditions or status codes; the client gets the last
// attempt's answer.
func TestRetryConditions(t *testing.T) {
	tests := map[string]struct {
		policy       *snapshotv1.RetryPolicy
		steps        []backendBehaviour
		wantAttempts int
		wantStatus   int
	}{
		"5xx retries a 503":                 {policy: retryPolicy(2, "5xx"), steps: []backendBehaviour{status(503)}, wantAttempts: 3, wantStatus: 503},
		"5xx retries a 500 until it passes": {policy: retryPolicy(3, "5xx"), steps: []backendBehaviour{status(500), status(200)}, wantAttempts: 2, wantStatus: 200},
		"5xx leaves a 409":                  {policy: retryPolicy(2, "5xx"), steps: []backendBehaviour{status(409)}, wantAttempts: 1, wantStatus: 409},
		"gateway-error retries a 504":       {policy: retryPolicy(2, "gateway-error"), steps: []backendBehaviour{status(504)}, wantAttempts: 3, wantStatus: 504},
		"gateway-error leaves a 500":        {policy: retryPolicy(2, "gateway-error"), steps: []backendBehaviour{status(500)}, wantAttempts: 1, wantStatus: 500},
		"retriable-4xx retries a 409":       {policy: retryPolicy(1, "retriable-4xx"), steps: []backendBehaviour{status(409)}, wantAttempts: 2, wantStatus: 409},
		"retriable-4xx leaves a 429":        {policy: retryPolicy(1, "retriable-4xx"), steps: []backendBehaviour{status(429)}, wantAttempts: 1, wantStatus: 429},
		"reset retries a dropped connection": {
			policy: retryPolicy(2, "reset"), steps: []backendBehaviour{hangUp}, wantAttempts: 3, wantStatus: 502,
		},
		"5xx retries a dropped connection": {
			policy: retryPolicy(1, "5xx"), steps: []backendBehaviour{hangUp, status(200)}, wantAttempts: 2, wantStatus: 200,
		},
		"retriable-4xx leaves a dropped connection": {
			policy: retryPolicy(2, "retriable-4xx"), steps: []backendBehaviour{hangUp}, wantAttempts: 1, wantStatus: 502,
		},
		"retriable status codes count without their condition": {
			policy: &snapshotv1.RetryPolicy{NumRetries: 2, RetriableStatusCodes: []uint32{429}}, steps: []backendBehaviour{status(429)},
			wantAttempts: 3, wantStatus: 429,
		},
		"retriable-status-codes with its codes": {
			policy: &snapshotv1.RetryPolicy{RetryOn: []string{"retriable-status-codes"}, NumRetries: 1, RetriableStatusCodes: []uint32{418}},
			steps:  []backendBehaviour{status(418), status(201)}, wantAttempts: 2, wantStatus: 201,
		},
		"num_retries 0 never retries": {policy: retryPolicy(0, "5xx"), steps: []backendBehaviour{status(503)}, wantAttempts: 1, wantStatus: 503},
		"a success is never retried":  {policy: retryPolicy(3, "5xx", "reset"), steps: []backendBehaviour{status(200)}, wantAttempts: 1, wantStatus: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := newScripted(t, tc.steps...)
			h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Retry = tc.policy })
			resp, body := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
			require.Equal(t, tc.wantStatus, resp.StatusCode, body)
			require.Len(t, b.requests(), tc.wantAttempts)
		})
	}
}

// TestRetryMovesToTheNextEndpoint: a connect failure on one endpoint of a static
// upstream is retried on the next one under "connect-failure", and answered 503 without
// a condition that covers it.
func TestRetryMovesToTheNextEndpoint(t *testing.T) {
	closed := freePort(t)
	for on, want := range map[string]int{"connect-failure": 200, "retriable-4xx": 503} {
		t.Run(on, func(t *testing.T) {
			b := newScripted(t, status(200))
			_, port, err := net.SplitHostPort(b.hostPort())
			require.NoError(t, err)
			h := newHarness(t, fakellm.Config{})
			s := tutorial(t, h.port, b.hostPort(), false, false)
			s.Upstreams[0].Kind = &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{Endpoints: []*snapshotv1.Endpoint{
				{Host: "127.0.0.1", Port: closed}, {Host: "127.0.0.1", Port: portOf(t, "x:"+port)},
			}}}
			s.Listeners[0].VirtualHosts[0].Routes[0].Retry = retryPolicy(1, on)
			h.apply(s, false)
			resp, body := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
			require.Equal(t, want, resp.StatusCode, body)
		})
	}
}

// TestRetrySendsTheBodyAgain: a body in memory (declared length up to 1 MiB on a route
// that retries) reaches every attempt whole; a larger body, or one of unknown length, is
// streamed and never retried.
func TestRetrySendsTheBodyAgain(t *testing.T) {
	tests := map[string]struct {
		body         string
		chunked      bool
		wantAttempts int
		wantStatus   int
	}{
		"small body":                {body: `{"model":"m"}`, wantAttempts: 2, wantStatus: 200},
		"body past the preread":     {body: strings.Repeat("a", 200<<10), wantAttempts: 2, wantStatus: 200},
		"body past the retry bound": {body: strings.Repeat("a", 2<<20), wantAttempts: 1, wantStatus: 503},
		"body of unknown length":    {body: strings.Repeat("a", 1000), chunked: true, wantAttempts: 1, wantStatus: 503},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := newScripted(t, status(503), status(200))
			h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Retry = retryPolicy(1, "5xx") })
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // a reader of unknown length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, h.base+"/openai", body)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.wantStatus, resp.StatusCode, readAll(t, resp))
			seen := b.requests()
			require.Len(t, seen, tc.wantAttempts)
			for i, s := range seen {
				require.Equal(t, tc.body, s.body, "attempt %d", i+1)
			}
		})
	}
}

// TestNoRetryOnceTheAnswerStarted: an upstream that sends its answer's head (and a first
// chunk, which the proxy passes on at once) and then drops the connection is not
// retried: the client sees the stream cut, the backend one attempt.
func TestNoRetryOnceTheAnswerStarted(t *testing.T) {
	b := newScripted(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "partial")
		_ = http.NewResponseController(w).Flush()
		hangUp(w, nil)
	})
	h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Retry = retryPolicy(3, "5xx", "reset") })
	resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got, err := io.ReadAll(resp.Body)
	require.Error(t, err, "the answer must be cut")
	require.Equal(t, "partial", string(got))
	require.Len(t, b.requests(), 1)
}

// TestPerTryTimeout: an attempt without an answer within timeouts.backend_request is
// retried; the route's timeout ends every attempt with 504.
func TestPerTryTimeout(t *testing.T) {
	t.Run("a retry after a slow attempt answers", func(t *testing.T) {
		b := newScripted(t, stall, status(200))
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) {
			r.Retry = retryPolicy(1, "reset")
			r.Timeouts = &snapshotv1.Timeouts{BackendRequest: durationpb.New(200 * time.Millisecond)}
		})
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Len(t, b.requests(), 2)
	})
	t.Run("the route timeout bounds all attempts", func(t *testing.T) {
		b := newScripted(t, stall)
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) {
			r.Retry = retryPolicy(100, "5xx")
			r.Timeouts = &snapshotv1.Timeouts{Request: durationpb.New(time.Second), BackendRequest: durationpb.New(100 * time.Millisecond)}
		})
		start := time.Now()
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
		require.Equal(t, "upstream request timeout", body)
		require.Less(t, time.Since(start), 5*time.Second)
		// Each attempt lasts its 100ms at least: a second holds 10 of them at most.
		require.GreaterOrEqual(t, len(b.requests()), 2)
		require.LessOrEqual(t, len(b.requests()), 11)
	})
	t.Run("without retries the per-try timeout is 504", func(t *testing.T) {
		b := newScripted(t, stall)
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) {
			r.Timeouts = &snapshotv1.Timeouts{BackendRequest: durationpb.New(100 * time.Millisecond)}
		})
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
		require.Len(t, b.requests(), 1)
	})
	t.Run("the per-try timeout does not cut an answer that started", func(t *testing.T) {
		b := newScripted(t, events(6, 50*time.Millisecond, false))
		h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) {
			r.Timeouts = &snapshotv1.Timeouts{BackendRequest: durationpb.New(100 * time.Millisecond)}
		})
		resp, body := h.do(http.MethodPost, "/openai", "", `{"stream":true}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, strings.Repeat("data: {}\n\n", 6), body)
	})
}

// TestAttemptCountHeaders: x-envoy-attempt-count numbers the attempts to the upstream and
// tells the client how many were made, also on the proxy's own answer; a client's own
// value never reaches the upstream.
func TestAttemptCountHeaders(t *testing.T) {
	b := newScripted(t, status(503), status(503), status(200))
	h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) {
		r.Retry = retryPolicy(2, "5xx")
		r.IncludeRequestAttemptCount, r.IncludeAttemptCountInResponse = true, true
	})
	req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("X-Envoy-Attempt-Count", "7")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"3"}, resp.Header.Values("X-Envoy-Attempt-Count"))
	var counts [][]string
	for _, s := range b.requests() {
		counts = append(counts, s.header.Values("X-Envoy-Attempt-Count"))
	}
	require.Equal(t, [][]string{{"1"}, {"2"}, {"3"}}, counts)

	t.Run("not asked for", func(t *testing.T) {
		b := newScripted(t, status(200))
		h := retryRoute(t, b.hostPort(), func(*snapshotv1.Route) {})
		req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set("X-Envoy-Attempt-Count", "7")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Empty(t, resp.Header.Values("X-Envoy-Attempt-Count"))
		require.Empty(t, b.requests()[0].header.Values("X-Envoy-Attempt-Count"), "the client's value reached the upstream")
	})
	t.Run("on the proxy's own answer", func(t *testing.T) {
		h := retryRoute(t, "127.0.0.1:"+itoa(freePort(t)), func(r *snapshotv1.Route) {
			r.Retry = retryPolicy(1, "connect-failure")
			r.IncludeAttemptCountInResponse = true
		})
		resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
		require.Equal(t, "2", resp.Header.Get("X-Envoy-Attempt-Count"))
	})
}

// TestClientLeavingStopsRetries: a client that hangs up during an attempt ends the
// request: no retry follows.
func TestClientLeavingStopsRetries(t *testing.T) {
	arrived := make(chan struct{}, 10)
	b := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		stall(w, r)
	})
	h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Retry = retryPolicy(5, "5xx", "reset") })
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/openai", strings.NewReader(`{}`))
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-arrived
	cancel()
	<-done
	require.Eventually(t, func() bool {
		return strings.Contains(h.access.String(), `"status":499`)
	}, 5*time.Second, 10*time.Millisecond, h.access.String())
	require.Len(t, b.requests(), 1)
}

// TestRetriedAnswerIsDrained: a retried attempt's answer is read away, so the next
// attempt reuses its connection.
func TestRetriedAnswerIsDrained(t *testing.T) {
	b := newScripted(t, status(503), status(200))
	h := retryRoute(t, b.hostPort(), func(r *snapshotv1.Route) { r.Retry = retryPolicy(1, "5xx") })
	resp, body := h.do(http.MethodPost, "/openai", "", `{}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Len(t, b.requests(), 2)
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Equal(t, 1, b.conns, "the retry opened a new connection")
}
