package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// withPolicies applies the tutorial's policies and waits until Bob is denied.
func withPolicies(t *testing.T) {
	t.Helper()
	setup(t)
	jwtProvider(t)
	apply(t, "30-openai-rbac.yaml")
	t.Cleanup(func() {
		_, _ = st.Kubectl("delete", "routeoption", "openai-opt", "-n", "gloo-system", "--ignore-not-found")
	})
	eventually(t, token(t, "bob"), http.StatusForbidden)
}

// TestStreaming: a streamed chat completion arrives through the gateway event by event.
func TestStreaming(t *testing.T) {
	withPolicies(t)
	body := `{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	req, err := http.NewRequest(http.MethodPost, gatewayURL()+"/openai", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token(t, "alice"))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/event-stream")

	var arrivals []time.Duration
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			arrivals = append(arrivals, time.Since(start))
			if sc.Text() == "data: [DONE]" {
				break
			}
		}
	}
	require.GreaterOrEqual(t, len(arrivals), 3, "several events")
	first, last := arrivals[0], arrivals[len(arrivals)-1]
	t.Logf("first event after %v, last after %v", first, last)
	// The fake LLM pauses 50ms between events (several of them): a buffered stream would
	// deliver them all at once.
	require.Greater(t, last-first, 50*time.Millisecond, "events arrived together: the stream was buffered")
}

// TestControllerGoesAway: with the controller killed, the proxy keeps enforcing the last
// snapshot; when the controller is back, the proxy picks up changes again.
func TestControllerGoesAway(t *testing.T) {
	withPolicies(t)
	st.Controller.Kill()
	for i := 0; i < 5; i++ {
		require.Equal(t, http.StatusForbidden, chat(t, token(t, "bob")).status)
		require.Equal(t, http.StatusOK, chat(t, token(t, "alice")).status)
		require.Equal(t, http.StatusUnauthorized, chat(t, "").status)
		time.Sleep(200 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, st.StartController(ctx))
	kubectl(t, "delete", "routeoption", "openai-opt", "-n", "gloo-system")
	_, took := eventually(t, token(t, "bob"), http.StatusOK)
	t.Logf("resynchronized after the controller came back: %v", took)
}

// TestProxyRestart: a restarted proxy answers 503 until it has the current snapshot,
// then enforces it.
func TestProxyRestart(t *testing.T) {
	withPolicies(t)
	st.Proxy.Stop(10 * time.Second)
	require.NoError(t, st.StartProxy(gatewayPort))
	// Until the snapshot arrives Bob gets 503; once it has arrived, 403. Never 200.
	unavailable := 0
	deadline := time.Now().Add(20 * time.Second)
	for !st.ProxyReady() && time.Now().Before(deadline) {
		a := chat(t, token(t, "bob"))
		switch a.status {
		case 0: // not listening yet
		case http.StatusServiceUnavailable:
			unavailable++
		default:
			require.Equal(t, http.StatusForbidden, a.status, "a restarting proxy must answer 503, then enforce")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("answered 503 %d times before the first snapshot", unavailable)
	require.True(t, st.ProxyReady(), "the proxy got its snapshot")
	require.Equal(t, http.StatusForbidden, chat(t, token(t, "bob")).status)
	require.Equal(t, http.StatusOK, chat(t, token(t, "alice")).status)
}
