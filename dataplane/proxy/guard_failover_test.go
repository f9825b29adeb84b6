package proxy_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// TestGuardOnFailover: a prompt guard on lab 7's route. A masked prompt reaches each
// priority masked (the failover members shape the guarded body); the answer of the
// priority that answers is masked, whole and streamed.
func TestGuardOnFailover(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	b := newFailingLLM(t)
	s := tutorial(t, h.port, "127.0.0.1:1", false, false)
	f := &snapshotv1.FailoverUpstream{}
	for _, m := range lab7Models {
		f.Priorities = append(f.Priorities, &snapshotv1.FailoverPriority{Pool: []*snapshotv1.LlmUpstream{openaiMember(t, b, m, "sk-lab7")}})
	}
	s.Upstreams[0].Kind = &snapshotv1.Upstream_Failover{Failover: f}
	r := s.Listeners[0].VirtualHosts[0].Routes[0]
	r.Retry = lab7Retry()
	r.AiGuard = labGuard()
	r.AiGuard.Request.Regex.Builtins = []snapshotv1.AiRegexGuard_BuiltIn{snapshotv1.AiRegexGuard_EMAIL}
	r.AiGuard.Request.Regex.Action = snapshotv1.AiRegexGuard_MASK
	r.AiGuard.Request.Regex.Matches = nil
	h.apply(s, false)

	b.fail("gpt-4o", http.StatusTooManyRequests)
	b.fake.SetAnswer("Pay with 1234 5678 ", "9012 3456.")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[{"role":"user","content":"mail me@x.io"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Contains(t, got, "Pay with <CUSTOM>.")
	require.NotContains(t, got, "3456")
	require.Equal(t, []string{"gpt-4o", "gpt-4.0-turbo"}, b.models(), "the second priority answered")
	for _, req := range b.bodies() {
		require.Contains(t, req, "mail <EMAIL_ADDRESS>", "every priority receives the masked prompt")
		require.NotContains(t, req, "me@x.io")
	}

	resp, got = h.do(http.MethodPost, "/openai", "", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	text, _ := streamText(t, got)
	require.Equal(t, "Pay with <CUSTOM>.", strings.TrimSpace(text))
}
