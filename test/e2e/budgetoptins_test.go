package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
)

// TestLab6BudgetOptIns: lab 6's manifests, its RateLimitConfig annotated with
// claimgate's opt-ins: a request stating more max_tokens
// than the budget holds is refused at once, saying why; once most of Alice's 70 tokens
// are spent, a streamed answer that crosses the budget ends with OpenAI's error event
// instead of [DONE], and the next request is refused.
func TestLab6BudgetOptIns(t *testing.T) {
	setup(t)
	freshCounters(t)
	jwtProvider(t)
	lab, err := os.ReadFile(labFile(t, "lab6-rate-limit.yaml"))
	require.NoError(t, err)
	meta := "  name: per-user-counter\n  namespace: gloo-system\n"
	require.Contains(t, string(lab), meta)
	annotated := strings.Replace(string(lab), meta, meta+"  annotations:\n"+
		"    "+ratelimitv1alpha1.AnnotationStopStreams+": \"true\"\n"+
		"    "+ratelimitv1alpha1.AnnotationReserveMaxTokens+": \"true\"\n", 1)
	manifest := filepath.Join(st.Dir, "lab6-opt-ins.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte(annotated), 0o600))
	kubectl(t, "apply", "-f", manifest)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", manifest) })
	raw, err := os.ReadFile(labFile(t, "lab6-alice.jwt"))
	require.NoError(t, err)
	alice := strings.TrimSpace(string(raw))

	big := `{"model":"gpt-3.5-turbo","max_tokens":500,"messages":[{"role":"user","content":"hi"}]}`
	var refused answer // before lab 6 is in effect, requests pass unlimited and uncharged
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); sleepPoll() {
		if refused = post(t, alice, big); strings.Contains(refused.body, "do not fit") {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, refused.status, refused.String())
	require.Contains(t, refused.body, "max_tokens (500)")
	require.Equal(t, "70", refused.header.Get("X-Ratelimit-Remaining"), "a refused reservation holds nothing")

	// Spend all but 5 to 19 tokens: x-ratelimit-remaining is what was left when a request
	// was admitted, before its answer's 15 tokens.
	small := `{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"hi"}]}`
	const cost = 15
	for left := 70; left >= 20; {
		a := post(t, alice, small)
		require.Equal(t, http.StatusOK, a.status, a.String())
		admitted, err := strconv.Atoi(a.header.Get("X-Ratelimit-Remaining"))
		require.NoError(t, err)
		left = admitted - cost
	}
	stream := post(t, alice, `{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusOK, stream.status, stream.String())
	require.NotContains(t, stream.body, "[DONE]")
	require.True(t, strings.HasSuffix(stream.body,
		`"type":"tokens","param":null,"code":"rate_limit_exceeded"}}`+"\n\n"), "the stream ends with the stop event: %s", stream.body)
	after := post(t, alice, small)
	require.Equal(t, http.StatusTooManyRequests, after.status, after.String())
}

// post sends body to the Gateway's /openai with tok.
func post(t *testing.T, tok, body string) answer {
	t.Helper()
	a := postTo(t, gatewayURL(), tok, []byte(body))
	require.NotZero(t, a.status, a.body)
	return a
}
