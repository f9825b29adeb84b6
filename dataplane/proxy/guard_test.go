package proxy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/fakes/guardrail"
)

// labCard is lab 9's response pattern; the card numbers below match it.
const labCard = `\b(\d{4}[-\s]\d{4}[-\s]\d{4}[-\s]\d{4})\b`

// labGuard is lab 9's second step as the controller compiles it.
func labGuard() *snapshotv1.AiGuard {
	return &snapshotv1.AiGuard{
		Request: &snapshotv1.AiRequestGuard{
			RejectStatus: 403, RejectMessage: "Rejected due to inappropriate content",
			Regex: &snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "credit card"}}, Action: snapshotv1.AiRegexGuard_REJECT},
		},
		Response: &snapshotv1.AiResponseGuard{Regex: &snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: labCard}}}},
	}
}

// scripted is an LLM provider that records what it received and answers with a
// fixed body: whole, or as server-sent events written (and flushed) one by one.
type scripted struct {
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
	whole   string
	events  []string
	status  int
	// encoding, when set, is sent as the answer's Content-Encoding.
	encoding string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	if s.encoding != "" {
		w.Header().Set("Content-Encoding", s.encoding)
	}
	if s.events == nil {
		w.Header().Set("Content-Type", "application/json")
		if s.status != 0 {
			w.WriteHeader(s.status)
		}
		_, _ = io.WriteString(w, s.whole)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	rc := http.NewResponseController(w)
	for _, ev := range s.events {
		_, _ = io.WriteString(w, ev)
		_ = rc.Flush()
	}
}

func (s *scripted) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// guardedProxy serves the tutorial's route to up with guard g, for provider at path.
func guardedProxy(t *testing.T, up http.Handler, g *snapshotv1.AiGuard, provider snapshotv1.LlmProvider, path string) *harness {
	t.Helper()
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, strings.TrimPrefix(srv.URL, "http://"), false, false)
	r := s.Listeners[0].VirtualHosts[0].Routes[0]
	r.Filters[0].GetUrlRewrite().GetPath().Value = path
	r.AiGuard = g
	s.Upstreams[0].GetLlm().Provider = provider
	h.apply(s, false)
	return h
}

func openAIChunk(text string) string {
	b, _ := json.Marshal(text)
	return `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":` + string(b) + `},"finish_reason":null}]}` + "\n\n"
}

// streamText is the text a client reads from an OpenAI-style stream, and its events.
func streamText(t *testing.T, body string) (string, []string) {
	t.Helper()
	var text strings.Builder
	var events []string
	for _, ev := range strings.SplitAfter(body, "\n\n") {
		if ev == "" {
			continue
		}
		events = append(events, ev)
		data, ok := strings.CutPrefix(strings.TrimSpace(ev), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		require.NoError(t, json.Unmarshal([]byte(data), &chunk), data)
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	return text.String(), events
}

// TestGuardRejectsPrompt: lab 9's first step. A prompt that says "credit card" (in any
// case, in any message) is answered with the custom message and 403, and never
// reaches the provider; a prompt that does not passes unchanged.
func TestGuardRejectsPrompt(t *testing.T) {
	up := &scripted{whole: `{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}`}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[{"role":"system","content":"hi"},{"role":"user","content":[{"type":"text","text":"Is my Credit Card safe?"}]}]}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "Rejected due to inappropriate content", got)
	require.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	require.Empty(t, up.received(), "a rejected prompt never reaches the provider")

	body := `{"model":"m","messages":[{"role":"user","content":"Is my card safe?"}]}`
	resp, got = h.do(http.MethodPost, "/openai", "", body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, []string{body}, up.received(), "a prompt nothing matched passes unchanged")
	require.Contains(t, h.access.String(), `"guard":"regex","guard_action":"reject"`)
	require.Contains(t, h.metrics(), `claimgate_proxy_guard_decisions_total{action="reject",guard="regex",route="`+openaiRoute+`",stage="request"} 1`)
	require.NotContains(t, h.access.String(), "Credit Card", "the prompt never reaches the log")
}

// TestGuardRejectStatusAndDefaults: customResponse's status, and Gloo's default message.
func TestGuardRejectStatusAndDefaults(t *testing.T) {
	g := labGuard()
	g.Request.RejectStatus, g.Request.RejectMessage = 422, ""
	up := &scripted{}
	h := guardedProxy(t, up, g, snapshotv1.LlmProvider_ANTHROPIC, "/v1/messages")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"c","max_tokens":9,"system":"talk about credit card fraud","messages":[{"role":"user","content":"go"}]}`)
	require.Equal(t, 422, resp.StatusCode)
	require.Equal(t, "The request was rejected due to inappropriate content", got)
	require.Empty(t, up.received())
}

// TestGuardMasksPrompt: with MASK the provider receives the prompt with the matches
// masked; only the texts change.
func TestGuardMasksPrompt(t *testing.T) {
	g := &snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{Regex: &snapshotv1.AiRegexGuard{
		Matches:  []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: `secret-\d+`}},
		Builtins: []snapshotv1.AiRegexGuard_BuiltIn{snapshotv1.AiRegexGuard_CREDIT_CARD, snapshotv1.AiRegexGuard_EMAIL},
	}}}
	up := &scripted{whole: `{"choices":[]}`}
	h := guardedProxy(t, up, g, snapshotv1.LlmProvider_GEMINI, "/v1beta/models/gemini-2.0-flash:generateContent")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"contents":[{"role":"user","parts":[{"text":"card 4111 1111 1111 1111, mail me@x.io, id SECRET-7"}]}],"generationConfig":{"temperature":0.25}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, []string{`{"contents":[{"role":"user","parts":[{"text":"card <CREDIT_CARD>, mail <EMAIL_ADDRESS>, id <CUSTOM>"}]}],"generationConfig":{"temperature":0.25}}`}, up.received())
	require.Contains(t, h.access.String(), `"guard":"regex","guard_action":"mask"`)
}

// TestGuardMasksAnswer: lab 9's second step on a whole answer: the card number is
// <CUSTOM>, the length is the new body's.
func TestGuardMasksAnswer(t *testing.T) {
	up := &scripted{whole: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Use 1234 5678 9012 3456 or 1234-5678-9012-3456."}}],"usage":{"total_tokens":7}}`}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[{"role":"user","content":"a card number please"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.JSONEq(t, `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Use <CUSTOM> or <CUSTOM>."}}],"usage":{"total_tokens":7}}`, got)
	require.Equal(t, int64(len(got)), resp.ContentLength)
	require.Contains(t, h.metrics(), `claimgate_proxy_guard_decisions_total{action="mask",guard="regex",route="`+openaiRoute+`",stage="response"} 1`)

	up.status = http.StatusBadRequest // an error answer passes as it is
	up.whole = `{"error":{"message":"1234 5678 9012 3456"}}`
	resp, got = h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[]}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, up.whole, got)
}

// TestGuardMasksSplitStream: a card number split across three events of an
// OpenAI-style stream comes out masked; events without text pass, after the text
// held before them.
func TestGuardMasksSplitStream(t *testing.T) {
	up := &scripted{events: []string{
		`data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}` + "\n\n",
		openAIChunk("Your card is 1234 56"), openAIChunk("78 9012 34"), openAIChunk("56. Keep it"), openAIChunk(" safe"),
		`data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n",
		"data: [DONE]\n\n",
	}}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","stream":true,"messages":[{"role":"user","content":"card?"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	text, events := streamText(t, got)
	require.Equal(t, "Your card is <CUSTOM>. Keep it safe", text)
	require.NotContains(t, got, "5678")
	require.Contains(t, events[0], `"role":"assistant"`, "an event without text passes at once")
	require.Contains(t, events[len(events)-2], `"finish_reason":"stop"`)
	require.Equal(t, "data: [DONE]\n\n", events[len(events)-1])
	require.Contains(t, events[len(events)-3], `"content":"Keep it safe"`, "the held text comes before the finish")
}

// TestGuardMasksAnthropicStream: the same on Anthropic's messages API stream.
func TestGuardMasksAnthropicStream(t *testing.T) {
	delta := func(s string) string {
		b, _ := json.Marshal(s)
		return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":" + string(b) + "}}\n\n"
	}
	up := &scripted{events: []string{
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n",
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
		delta("It is 1234"), delta(" 5678 9012"), delta(" 3456"),
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
	}}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_ANTHROPIC, "/v1/messages")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"c","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"card?"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.NotContains(t, got, "5678")
	require.Contains(t, got, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"It is <CUSTOM>\"}}\n\n"+
		"event: content_block_stop\n")
	require.True(t, strings.HasSuffix(got, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
}

// TestGuardStreamRawSocket: a guarded stream read off the wire is chunked, masked and
// ends properly, the connection kept.
func TestGuardStreamRawSocket(t *testing.T) {
	up := &scripted{events: []string{openAIChunk("card 1234 5678 "), openAIChunk("9012 3456\n"), "data: [DONE]\n\n"}}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"card?"}]}`
	br := bufio.NewReader(conn)
	for range 2 { // twice on one connection
		_, err = fmt.Fprintf(conn, "POST /openai HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, []string{"chunked"}, resp.TransferEncoding)
		got := readAll(t, resp)
		text, _ := streamText(t, got)
		require.Equal(t, "card <CUSTOM>\n", text)
	}
}

// TestGuardFailsClosed: a guard that cannot decide (the webhook answers 500, or
// something that is not the contract) refuses the prompt (503, the provider not
// called), the whole answer (502), the rest of a stream (the provider's error event).
func TestGuardFailsClosed(t *testing.T) {
	hook := guardrail.New()
	hook.Start(t)
	hook.Fail(guardrail.InternalError)
	webhook := &snapshotv1.AiWebhookGuard{Host: hook.Host(), Port: hook.Port()}
	t.Run("request", func(t *testing.T) {
		up := &scripted{whole: `{}`}
		h := guardedProxy(t, up, &snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{Webhook: webhook}}, snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
		resp, got := h.do(http.MethodPost, "/openai", "", `{"messages":[{"role":"user","content":"hi"}]}`)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "prompt guard webhook could not check the request", got)
		require.Empty(t, up.received())
		require.Contains(t, h.access.String(), `"decision":"guard_error","reason":"webhook"`)
	})
	t.Run("whole answer", func(t *testing.T) {
		up := &scripted{whole: `{"choices":[{"message":{"content":"hi"}}]}`}
		h := guardedProxy(t, up, &snapshotv1.AiGuard{Response: &snapshotv1.AiResponseGuard{Webhook: webhook}}, snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
		resp, got := h.do(http.MethodPost, "/openai", "", `{"messages":[{"role":"user","content":"hi"}]}`)
		require.Equal(t, http.StatusBadGateway, resp.StatusCode)
		require.Equal(t, "prompt guard webhook could not check the answer", got)
		require.Contains(t, h.metrics(), `claimgate_proxy_guard_decisions_total{action="error",guard="webhook",route="`+openaiRoute+`",stage="response"} 1`)
	})
	t.Run("stream", func(t *testing.T) {
		hook.Fail(guardrail.Malformed)
		up := &scripted{events: []string{openAIChunk("one. "), openAIChunk("two. "), "data: [DONE]\n\n"}}
		h := guardedProxy(t, up, &snapshotv1.AiGuard{Response: &snapshotv1.AiResponseGuard{Webhook: webhook}}, snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
		resp, got := h.do(http.MethodPost, "/openai", "", `{"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, `data: {"error":{"message":"the prompt guard could not check the answer: the gateway ended it","type":"server_error","param":null,"code":"guard_unavailable"}}`+"\n\n", got)
	})
	t.Run("encoded answer", func(t *testing.T) {
		up := &scripted{whole: "\x1f\x8b...", encoding: "gzip"}
		h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
		req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		got := readAll(t, resp)
		resp.Body.Close()
		require.Equal(t, http.StatusBadGateway, resp.StatusCode)
		require.Equal(t, "prompt guard unreadable could not check the answer", got)
		require.Equal(t, "identity", up.headers[0].Get("Accept-Encoding"), "the provider is asked for an unencoded answer")
	})
}

// TestGuardUnreadableBodies: a body the request guards cannot read is refused (400),
// a body with no prompt text passes unchanged; never a 5xx.
func TestGuardUnreadableBodies(t *testing.T) {
	up := &scripted{whole: `{}`}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	for _, body := range []string{`not json`, `[1]`, `"credit card"`} {
		resp, got := h.do(http.MethodPost, "/openai", "", body)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, got)
	}
	require.Empty(t, up.received())
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, []string{`{"model":"m"}`}, up.received())
}

// TestGuardStreamKeepsMetering: under the guard the meter still counts what the
// provider produced, from its usage chunk, which reaches the client that asked for it.
func TestGuardStreamKeepsMetering(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	s.Listeners[0].VirtualHosts[0].Routes[0].AiGuard = labGuard()
	h.apply(s, false)
	h.fake.SetAnswer("Card 1234 5678 ", "9012 3456", ", done")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"card?"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	text, events := streamText(t, got)
	require.Equal(t, "Card <CUSTOM>, done", text)
	require.Contains(t, events[len(events)-2], `"usage":{`, "the usage chunk passes")
	labels := `{claim="",gen_ai_request_model="gpt-4o",gen_ai_response_model="gpt-4o",gen_ai_system="openai",gen_ai_token_type="output",route="` + openaiRoute + `"}`
	require.Contains(t, h.metrics(), "claimgate_proxy_llm_tokens_total"+labels+" "+itoa(uint32(fakellm.StreamTokens(3)))+"\n")
}

// TestGuardStreamRoleChunkNotHeld: OpenAI's first chunk (the role, an empty content)
// reaches the client before the provider sends any text: the provider waits for the
// client to have read it.
func TestGuardStreamRoleChunkNotHeld(t *testing.T) {
	read := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		_, _ = io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
		_ = rc.Flush()
		select {
		case <-read:
		case <-time.After(5 * time.Second):
			return // the client never saw the first chunk
		}
		_, _ = io.WriteString(w, openAIChunk("Card 1234 5678 9012 3456.")+"data: [DONE]\n\n")
	})
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"card?"}]}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, first, `"role":"assistant"`)
	close(read)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	text, _ := streamText(t, string(rest))
	require.Equal(t, "Card <CUSTOM>.", text)
}

// TestGuardPlainAnswers: text a provider sends outside its JSON shape is not passed
// unguarded: a whole answer that is not JSON is refused (502), and a stream event whose
// data is plain text is masked as one stretch, its other lines kept.
func TestGuardPlainAnswers(t *testing.T) {
	up := &scripted{whole: "card 1234 5678 9012 3456"}
	h := guardedProxy(t, up, labGuard(), snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions")
	resp, got := h.do(http.MethodPost, "/openai", "", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	require.Equal(t, "prompt guard unreadable could not check the answer", got)

	up.events = []string{"event: note\ndata: card 1234 5678\ndata: 9012 3456 ok\n\n", "data: [DONE]\n\n"}
	resp, got = h.do(http.MethodPost, "/openai", "", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "event: note\ndata: card <CUSTOM> ok\n\ndata: [DONE]\n\n", got)
}
