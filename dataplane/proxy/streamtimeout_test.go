package proxy_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// backendBehaviour is what a test backend does with a request.
type backendBehaviour func(w http.ResponseWriter, r *http.Request)

// stall answers nothing until the proxy gives up on the request. The body is read
// first: only then does the backend's server notice the proxy hang up.
func stall(_ http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// events sends n server-sent events every gap (n < 0: until the proxy hangs up), then
// stalls when stallAfter.
func events(n int, gap time.Duration, stallAfter bool) backendBehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; n < 0 || i < n; i++ {
			if _, err := io.WriteString(w, "data: {}\n\n"); err != nil {
				return
			}
			_ = http.NewResponseController(w).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(gap):
			}
		}
		if stallAfter {
			stall(w, r)
		}
	}
}

// boundedRoute serves the tutorial's route, with set applied to it, in front of a backend
// doing b.
func boundedRoute(t *testing.T, b backendBehaviour, set func(r *snapshotv1.Route)) *harness {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(b))
	t.Cleanup(backend.Close)
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, strings.TrimPrefix(backend.URL, "http://"), false, false)
	set(s.Listeners[0].VirtualHosts[0].Routes[0])
	h.apply(s, false)
	return h
}

func idle(d time.Duration) func(r *snapshotv1.Route) {
	return func(r *snapshotv1.Route) { r.IdleTimeout = durationpb.New(d) }
}

func maxStream(d time.Duration) func(r *snapshotv1.Route) {
	return func(r *snapshotv1.Route) { r.MaxStreamDuration = durationpb.New(d) }
}

// TestStreamBoundsBeforeTheAnswer: a request whose answer has not started when the
// route's idle timeout or maximum stream duration expires is answered 408, in Envoy's
// words, and labelled so.
func TestStreamBoundsBeforeTheAnswer(t *testing.T) {
	tests := map[string]struct {
		set        func(r *snapshotv1.Route)
		wantBody   string
		wantReason string
	}{
		"idle timeout":        {set: idle(200 * time.Millisecond), wantBody: "stream timeout", wantReason: "idle_timeout"},
		"max stream duration": {set: maxStream(200 * time.Millisecond), wantBody: "downstream duration timeout", wantReason: "max_stream_duration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := boundedRoute(t, stall, tc.set)
			start := time.Now()
			resp, body := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
			require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, body)
			require.Equal(t, tc.wantBody, body)
			require.Less(t, time.Since(start), 5*time.Second)
			require.Eventually(t, func() bool {
				return strings.Contains(h.access.String(), `"status":408,"decision":"stream_timeout","reason":"`+tc.wantReason+`"`)
			}, 5*time.Second, 10*time.Millisecond, h.access.String())
		})
	}
}

// TestStreamBoundsCutAStartedAnswer: once the answer has started, an idle timeout (the
// backend stops sending) or the maximum stream duration (the backend never stops) cuts
// the stream; the client reads what came before the cut.
func TestStreamBoundsCutAStartedAnswer(t *testing.T) {
	tests := map[string]struct {
		backend    backendBehaviour
		set        func(r *snapshotv1.Route)
		wantReason string
	}{
		"idle timeout":        {backend: events(1, 0, true), set: idle(200 * time.Millisecond), wantReason: "idle_timeout"},
		"max stream duration": {backend: events(-1, 20*time.Millisecond, false), set: maxStream(300 * time.Millisecond), wantReason: "max_stream_duration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := boundedRoute(t, tc.backend, tc.set)
			resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader(`{"stream":true}`))
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			rd := bufio.NewReader(resp.Body)
			first, err := rd.ReadString('\n')
			require.NoError(t, err)
			require.Equal(t, "data: {}\n", first)
			start := time.Now()
			_, err = io.ReadAll(rd)
			require.Error(t, err, "the stream must be cut, not completed")
			require.Less(t, time.Since(start), 5*time.Second)
			require.Eventually(t, func() bool {
				return strings.Contains(h.access.String(), `"decision":"stream_timeout","reason":"`+tc.wantReason+`"`)
			}, 5*time.Second, 10*time.Millisecond, h.access.String())
		})
	}
}

// TestIdleTimeoutSparesActiveStreams: events that keep coming, each well within the idle
// timeout, make a stream that outlasts it, and it completes.
func TestIdleTimeoutSparesActiveStreams(t *testing.T) {
	h := boundedRoute(t, events(8, 50*time.Millisecond, false), idle(time.Second))
	resp, body := h.do(http.MethodPost, "/openai", "", `{"stream":true}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, strings.Repeat("data: {}\n\n", 8), body)
}

// TestIdleTimeoutOnASlowBody: a request body that stops arriving is answered 408 once
// the idle timeout passes (long before the body timeout), and a body that keeps coming,
// byte by byte within the idle timeout, goes through. The backend sees only the latter.
func TestIdleTimeoutOnASlowBody(t *testing.T) {
	hp := newHardenedProxy(t)
	s := hardened(t, hp.port, hp.backend, hp.key)
	routes := s.Listeners[0].VirtualHosts[0].Routes
	idle(time.Second)(routes[len(routes)-1]) // "/": open
	hp.apply(s, false)

	c := hp.dialRaw()
	start := time.Now()
	c.send("POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nx")
	resp, body := c.read()
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, body)
	require.Equal(t, "stream timeout", body)
	require.Less(t, time.Since(start), 10*time.Second)
	require.Empty(t, hp.backend.take())

	c = hp.dialRaw()
	c.send("POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\n")
	for _, b := range "hello" {
		time.Sleep(50 * time.Millisecond)
		c.send(string(b))
	}
	resp, body = c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "hello", hp.only().body)
}
