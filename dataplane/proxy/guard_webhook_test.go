package proxy_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakes/guardrail"
)

// webhookGuard is lab 10's RouteOption as the controller compiles it, for hook, with
// the x-user-* headers forwarded.
func webhookGuard(hook *guardrail.Server) *snapshotv1.AiGuard {
	w := &snapshotv1.AiWebhookGuard{Host: hook.Host(), Port: hook.Port(), ForwardHeaders: []*snapshotv1.AiWebhookGuard_HeaderMatch{
		{Key: "x-user-", MatchType: snapshotv1.AiWebhookGuard_HeaderMatch_PREFIX},
	}}
	return &snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{Webhook: w}, Response: &snapshotv1.AiResponseGuard{Webhook: w}}
}

// TestGuardWebhookRequest: lab 10 on prompts. The webhook's rejection answers the
// client (403 "request blocked") and the provider is not called; its masking reaches
// the provider; it receives the prompt's messages and the forwarded headers only.
func TestGuardWebhookRequest(t *testing.T) {
	hook := guardrail.New()
	hook.Start(t)
	up := &scripted{whole: `{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}`}
	h := guardedProxy(t, up, webhookGuard(hook), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")

	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[{"role":"user","content":"please block this"}]}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "request blocked", got)
	require.Empty(t, up.received(), "a rejected prompt never reaches the provider")
	require.Contains(t, h.access.String(), `"decision":"denied_guard","reason":"webhook"`)
	require.Contains(t, h.metrics(), `claimgate_proxy_guard_decisions_total{action="reject",guard="webhook",route="`+openaiRoute+`",stage="request"} 1`)

	req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(`{"model":"m","messages":[{"role":"system","content":"be kind"},{"role":"user","content":"mask my name"}]}`))
	require.NoError(t, err)
	req.Header.Set("X-User-Team", "blue")
	req.Header.Set("X-Other", "secret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	got = readAll(t, resp)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Len(t, up.received(), 1)
	require.JSONEq(t, `{"model":"m","messages":[{"role":"system","content":"be kind"},{"role":"user","content":"**** my name"}]}`, up.received()[0])
	calls := hook.CallsTo("/request")
	require.Len(t, calls, 2)
	require.Equal(t, []guardrail.Message{{Role: "system", Content: "be kind"}, {Role: "user", Content: "mask my name"}}, calls[1].Messages)
	require.Equal(t, "blue", calls[1].Header.Get("X-User-Team"), "a matching header is forwarded")
	require.Empty(t, calls[1].Header.Get("X-Other"), "others are not")
	require.NotContains(t, h.access.String(), "my name", "the prompt never reaches the log")
}

// TestGuardWebhookResponse: lab 10 on answers. The webhook masks a whole answer and a
// streamed one, stretch by stretch.
func TestGuardWebhookResponse(t *testing.T) {
	hook := guardrail.New()
	hook.Start(t)
	up := &scripted{whole: `{"choices":[{"index":0,"message":{"role":"assistant","content":"A mask, a cape."}}]}`}
	h := guardedProxy(t, up, webhookGuard(hook), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")

	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.JSONEq(t, `{"choices":[{"index":0,"message":{"role":"assistant","content":"A ****, a cape."}}]}`, got)
	require.Equal(t, []guardrail.Message{{Role: "assistant", Content: "A mask, a cape."}}, hook.CallsTo("/response")[0].Choices)

	up.events = []string{openAIChunk("Wear a ma"), openAIChunk("sk.\nThen "), openAIChunk("go."), "data: [DONE]\n\n"}
	resp, got = h.do(http.MethodPost, "/openai", "", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	text, _ := streamText(t, got)
	require.Equal(t, "Wear a ****.\nThen go.", text, "a word split across events is masked")
	require.Contains(t, h.metrics(), `claimgate_proxy_guard_decisions_total{action="mask",guard="webhook",route="`+openaiRoute+`",stage="response"} 2`)
}
