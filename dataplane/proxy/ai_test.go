package proxy_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// labPrompt is lab 8's system message.
const labPrompt = "Parse the unstructured text into CSV format and respond only with the CSV data."

// aiProxy serves the tutorial's AI route (no JWT) with lab 8's prompt enrichment, a
// temperature default, and a model default that the Upstream's fixed model overrides.
func aiProxy(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	s.Listeners[0].VirtualHosts[0].Routes[0].AiRequest = &snapshotv1.AiRequest{
		Prepend: []*snapshotv1.AiMessage{{Role: "system", Content: labPrompt}},
		Append:  []*snapshotv1.AiMessage{{Role: "user", Content: "Thank you."}},
		Defaults: []*snapshotv1.AiFieldDefault{
			{Field: "temperature", ValueJson: "0.5"},
			{Field: "max_tokens", ValueJson: "100", Override: true},
			{Field: "model", ValueJson: `"gpt-3.5-turbo"`, Override: true},
		},
	}
	s.Upstreams[0].GetLlm().Model = "gpt-4o"
	h.apply(s, false)
	return h
}

// TestPromptEnrichment: the provider receives lab 8's system message before the
// client's messages and the appended one after, the defaults set (temperature only
// where the client left it out), and the Upstream's model last.
func TestPromptEnrichment(t *testing.T) {
	h := aiProxy(t)
	body := `{"model":"gpt-4o-mini","max_tokens":4000,"messages":[{"role":"user","content":"The recipe: 2 eggs, 1 cup <flour>."}]}`
	resp, got := h.do(http.MethodPost, "/openai", "", body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	reqs := h.fake.Requests()
	require.Len(t, reqs, 1)
	var sent struct {
		Model       string            `json:"model"`
		Temperature float64           `json:"temperature"`
		MaxTokens   int               `json:"max_tokens"`
		Messages    []json.RawMessage `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(reqs[0].Body, &sent), "%s", reqs[0].Body)
	require.Equal(t, "gpt-4o", sent.Model, "the Upstream's model wins over a default")
	require.InDelta(t, 0.5, sent.Temperature, 0)
	require.Equal(t, 100, sent.MaxTokens)
	require.Len(t, sent.Messages, 3)
	require.JSONEq(t, `{"role":"system","content":"`+labPrompt+`"}`, string(sent.Messages[0]))
	require.Equal(t, `{"role":"user","content":"The recipe: 2 eggs, 1 cup <flour>."}`, string(sent.Messages[1]), "the client's message keeps its bytes")
	require.JSONEq(t, `{"role":"user","content":"Thank you."}`, string(sent.Messages[2]))
}

// TestPromptEnrichmentOddBodies: a body that is not a JSON object with messages is
// forwarded as it came (but for the Upstream's model), never answered 5xx.
func TestPromptEnrichmentOddBodies(t *testing.T) {
	h := aiProxy(t)
	for i, body := range []string{`not json`, `[1,2,3]`, `{"model":"m","prompt":"hi"}`} {
		resp, got := h.do(http.MethodPost, "/openai", "", body)
		require.Less(t, resp.StatusCode, 500, "%s: %s", body, got)
		reqs := h.fake.Requests()
		require.Len(t, reqs, i+1)
		if body == `{"model":"m","prompt":"hi"}` {
			require.JSONEq(t, `{"model":"gpt-4o","prompt":"hi"}`, string(reqs[i].Body))
			continue
		}
		require.Equal(t, body, string(reqs[i].Body))
	}
}

// TestPromptEnrichmentAnthropic: on Anthropic's messages API the system message goes
// to the top-level system, before the client's own system text.
func TestPromptEnrichmentAnthropic(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	vh := s.Listeners[0].VirtualHosts[0]
	r := vh.Routes[0]
	r.Filters[0].GetUrlRewrite().GetPath().Value = "/v1/messages"
	r.AiRequest = &snapshotv1.AiRequest{Prepend: []*snapshotv1.AiMessage{{Role: "system", Content: labPrompt}}}
	llmUp := s.Upstreams[0].GetLlm()
	llmUp.Provider = snapshotv1.LlmProvider_ANTHROPIC
	h.apply(s, false)
	body := `{"model":"claude-3-5-haiku","max_tokens":64,"system":"Be terse.","messages":[{"role":"user","content":"hi"}]}`
	resp, got := h.do(http.MethodPost, "/openai", "", body)
	require.Less(t, resp.StatusCode, 500, got)
	reqs := h.fake.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "/v1/messages", reqs[0].Path)
	require.JSONEq(t, `{"model":"claude-3-5-haiku","max_tokens":64,"system":"`+labPrompt+`\nBe terse.","messages":[{"role":"user","content":"hi"}]}`, string(reqs[0].Body))
}

// TestPromptEnrichmentGemini: on Gemini's generateContent the system message goes to
// systemInstruction and an assistant message becomes a model turn in contents.
func TestPromptEnrichmentGemini(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	r := s.Listeners[0].VirtualHosts[0].Routes[0]
	r.Filters[0].GetUrlRewrite().GetPath().Value = "/v1beta/models/gemini-2.0-flash:generateContent"
	r.AiRequest = &snapshotv1.AiRequest{Prepend: []*snapshotv1.AiMessage{
		{Role: "system", Content: labPrompt}, {Role: "assistant", Content: "Ready."},
	}}
	s.Upstreams[0].GetLlm().Provider = snapshotv1.LlmProvider_GEMINI
	h.apply(s, false)
	resp, got := h.do(http.MethodPost, "/openai", "", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)
	require.Less(t, resp.StatusCode, 500, got)
	reqs := h.fake.Requests()
	require.Len(t, reqs, 1)
	require.JSONEq(t, `{"contents":[{"role":"model","parts":[{"text":"Ready."}]},{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"`+labPrompt+`"}]}}`, string(reqs[0].Body))
}

// TestDefaultModelAuthorized: model-aware authorization judges the model the provider
// will be asked for: a "model" default fills a body that names none (Alice may use
// gpt-3.5-turbo), and an overriding one replaces the client's (gpt-4o is then allowed,
// as gpt-3.5-turbo is what is sent).
func TestDefaultModelAuthorized(t *testing.T) {
	for name, tc := range map[string]struct {
		override bool
		body     string
	}{
		"fills a missing model":     {false, `{"messages":[{"role":"user","content":"hi"}]}`},
		"replaces the client model": {true, chatBody("gpt-4o", false)},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, fakellm.Config{})
			s := tutorial(t, h.port, h.fake.HostPort(), true, false)
			r := s.Listeners[0].VirtualHosts[0].Routes[0]
			r.Rbac = modelRbac()
			r.AiRequest = &snapshotv1.AiRequest{Defaults: []*snapshotv1.AiFieldDefault{{Field: "model", ValueJson: `"gpt-3.5-turbo"`, Override: tc.override}}}
			h.apply(s, false)
			resp, got := h.do(http.MethodPost, "/openai", tokens.Alice(t), tc.body)
			require.Equal(t, http.StatusOK, resp.StatusCode, got)
			reqs := h.fake.Requests()
			require.Len(t, reqs, 1)
			require.Contains(t, string(reqs[0].Body), `"model":"gpt-3.5-turbo"`)
		})
	}
}
