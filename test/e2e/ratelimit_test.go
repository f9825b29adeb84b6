package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/testenv"
)

// labFile is a file of Gloo's AI workshop labs, as the workshop writes it.
func labFile(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testenv.ModuleRoot(), "test", "testdata", "seed", "labs", name)
}

// TestLab6RateLimit applies lab 6 exactly as the workshop does, after the tutorial's JWT
// provider: on the AI route the limit counts LLM tokens, so Alice's first requests
// pass and, once her 70 tokens of the hour are spent, she gets 429 Too Many Requests
// with x-envoy-ratelimited, while the provider is no longer called.
func TestLab6RateLimit(t *testing.T) {
	setup(t)
	freshCounters(t)
	jwtProvider(t)
	kubectl(t, "apply", "-f", labFile(t, "lab6-rate-limit.yaml"))
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", labFile(t, "lab6-rate-limit.yaml")) })
	raw, err := os.ReadFile(labFile(t, "lab6-alice.jwt"))
	require.NoError(t, err)
	alice := strings.TrimSpace(string(raw))

	// The RouteOption is in effect once its rate-limit headers show.
	first, _ := eventuallyHeader(t, alice, "X-Ratelimit-Limit")
	require.Equal(t, http.StatusOK, first.status, first.body)
	require.Equal(t, "70, 70;w=3600", first.header.Get("X-Ratelimit-Limit"))
	var last answer
	passed := 1
	for range 40 {
		if last = chat(t, alice); last.status != http.StatusOK {
			break
		}
		passed++
	}
	require.Equal(t, http.StatusTooManyRequests, last.status, "after %d requests: %s", passed, last)
	require.Equal(t, "true", last.header.Get("X-Envoy-Ratelimited"))
	require.Equal(t, "0", last.header.Get("X-Ratelimit-Remaining"))
	require.Empty(t, last.body)
	require.Greater(t, passed, 1, "a request charges its tokens, not the whole budget")
	require.Less(t, passed, 40, "tokens are counted, not requests")
	t.Logf("%d requests passed before the budget of 70 tokens was spent", passed)
}

// eventuallyHeader sends the tutorial's request until its answer carries header.
func eventuallyHeader(t *testing.T, tok, header string) (answer, bool) {
	t.Helper()
	var last answer
	for range 400 {
		if last = chat(t, tok); last.header.Get(header) != "" {
			return last, true
		}
		sleepPoll()
	}
	t.Fatalf("no %s header after polling: last answer %s", header, last)
	return last, false
}

// TestFleetSharesBudget: two proxy processes of the Gateway (127.0.0.1 and 127.0.0.2)
// share lab 6's token budget through the real redis-server: what one proxy charged,
// the other refuses. With Redis killed, requests pass (deny-on-fail is off) and none
// gets a 5xx; with Redis back, the budget is counted again.
func TestFleetSharesBudget(t *testing.T) {
	setup(t)
	freshCounters(t)
	jwtProvider(t)
	second, err := st.StartFleetProxy(1, gatewayPort, "127.0.0.1:"+strconv.Itoa(freePort()))
	require.NoError(t, err)
	t.Cleanup(func() { second.Stop(5 * time.Second) })
	kubectl(t, "apply", "-f", labFile(t, "lab6-rate-limit.yaml"))
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", labFile(t, "lab6-rate-limit.yaml")) })
	raw, err := os.ReadFile(labFile(t, "lab6-alice.jwt"))
	require.NoError(t, err)
	alice := strings.TrimSpace(string(raw))
	one, two := gatewayURL(), "http://127.0.0.2:"+strconv.Itoa(gatewayPort)

	// Both proxies enforce the budget once they show its headers: the first answer
	// through each is allowed and charged.
	for i, base := range []string{one, two} {
		a := waitFor(t, base, alice, func(a answer) bool { return a.header.Get("X-Ratelimit-Limit") != "" })
		require.Equal(t, http.StatusOK, a.status, "%s: %s", base, a)
		if i == 1 {
			require.NotEqual(t, "70", a.header.Get("X-Ratelimit-Remaining"), "the second proxy sees what the first charged")
		}
	}
	// Each proxy has let one request through while waiting; the budget (two of these
	// requests) is spent across both: the next gets 429 from either.
	for _, base := range []string{one, two} {
		a := chatAt(t, base, alice)
		require.Equal(t, http.StatusTooManyRequests, a.status, "%s: %s", base, a)
		require.Equal(t, "true", a.header.Get("X-Envoy-Ratelimited"))
	}

	// With Redis killed, a counter known to be spent stays refused (the proxies
	// remember it until its window ends); one Redis cannot count passes, as
	// deny-on-fail is off; no answer is a 5xx (chatAt checks).
	st.Redis.Kill()
	a := chatAt(t, two, alice)
	require.Equal(t, http.StatusTooManyRequests, a.status, "a spent budget stays refused: %s", a)
	renamed := filepath.Join(t.TempDir(), "lab6-b.yaml")
	lab, err := os.ReadFile(labFile(t, "lab6-rate-limit.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(renamed, bytes.ReplaceAll(lab, []byte("per-user-counter"), []byte("per-user-counter-b")), 0o600))
	kubectl(t, "apply", "-f", renamed)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "ratelimitconfig", "per-user-counter-b", "-n", "gloo-system") })
	a = waitFor(t, two, alice, func(a answer) bool { return a.status == http.StatusOK })
	require.Empty(t, a.header.Get("X-Envoy-Ratelimited"), "Redis unreachable: the request passes uncounted")

	// Redis back: the new budget is counted again, through either proxy.
	require.NoError(t, st.StartRedis(context.Background()))
	waitFor(t, one, alice, func(a answer) bool {
		n, err := strconv.Atoi(a.header.Get("X-Ratelimit-Remaining"))
		return a.status == http.StatusTooManyRequests || err == nil && n < 70
	})
}

// chatAt sends the tutorial's request to the proxy at base; no answer is a 5xx.
func chatAt(t *testing.T, base, tok string) answer {
	t.Helper()
	a := postTo(t, base, tok, sampleRequest(t))
	require.Less(t, a.status, 500, "no 5xx: %s", a.body)
	return a
}

// waitFor sends requests to base until ok holds for the answer.
func waitFor(t *testing.T, base, tok string, ok func(answer) bool) answer {
	t.Helper()
	var last answer
	for range 400 {
		if last = chatAt(t, base, tok); ok(last) {
			return last
		}
		sleepPoll()
	}
	t.Fatalf("%s: no answer as wanted after polling; last %s", base, last)
	return last
}

// freshCounters restarts the stack's redis-server, which keeps nothing, so a test's
// budgets start empty whatever earlier tests charged.
func freshCounters(t *testing.T) {
	t.Helper()
	st.Redis.Kill()
	require.NoError(t, st.StartRedis(context.Background()))
}
