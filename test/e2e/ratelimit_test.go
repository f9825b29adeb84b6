package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	apply(t, "20-jwt-provider.yaml")
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
