package proxy_test

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// optInProxy serves the tutorial's AI route with a per-user budget of n tokens an hour
// whose RateLimitConfig opted in to stopping streams and/or reserving max_tokens.
func optInProxy(t *testing.T, n uint32, stop, reserve bool, cfg fakellm.Config) *harness {
	t.Helper()
	clk := &testClock{t: rlStart}
	h := newHarness(t, cfg, func(c *proxy.Config) { c.Now = clk.Now })
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	p := perUserCounter(n)
	p.Tokens, p.StopStreams, p.ReserveMaxTokens = true, stop, reserve
	s.Listeners[0].VirtualHosts[0].Routes[0].RateLimits = &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{p}}
	h.apply(s, false)
	return h
}

// openAIStopEvent is the last event of an OpenAI stream stopped over budget.
func openAIStopEvent(t *testing.T) string {
	a, err := llm.Compile(&snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k"})
	require.NoError(t, err)
	return string(a.StopEvent("/v1/chat/completions"))
}

// TestTokenBudgetStopsStream: with stop-streams-over-budget, a stream whose owner's
// tokens reach the budget mid-answer ends there with OpenAI's error event, is charged
// what it produced, and the next request is refused; without the opt-in the same stream
// runs to its end, as Gloo's does.
func TestTokenBudgetStopsStream(t *testing.T) {
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Tell me a very long story"}]}`
	const chunks = 200 // 400 tokens, far over the budget of 100
	h := optInProxy(t, 100, true, false, fakellm.Config{StreamChunks: chunks})
	alice := tokens.Alice(t)
	resp, got := h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.True(t, strings.HasSuffix(got, openAIStopEvent(t)), "the stream ends with the stop event:\n%s", tail(got))
	require.NotContains(t, got, "[DONE]")
	words := strings.Count(got, `"content":"word`)
	require.Positive(t, words)
	require.Less(t, words, chunks/4, "stopped near the budget, not at the end of the answer")
	require.Contains(t, h.access.String(), `"decision":"stream_stopped","reason":"gloo-system/per-user-counter"`)
	require.Regexp(t, `claimgate_proxy_rate_limit_decisions_total\{descriptor="",policy="gloo-system/per-user-counter",result="stopped",stage="stream"\} 1\n`, h.metrics())

	resp, got = h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, got)
	require.Len(t, h.fake.Requests(), 1, "the spent budget refuses the next request")

	resp, got = h.do(http.MethodPost, "/openai", tokens.Bob(t), strings.Replace(body, "very long", "short", 1))
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.NotContains(t, got, "[DONE]", "Bob's budget is his own, and stops him too")

	plain := optInProxy(t, 100, false, false, fakellm.Config{StreamChunks: chunks})
	resp, got = plain.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, got, "data: [DONE]", "without the opt-in the stream is charged after it ends")
	require.Equal(t, chunks, strings.Count(got, `"content":"word`))
}

func tail(s string) string { return s[max(0, len(s)-400):] }

// TestTokenBudgetReserves: with reserve-max-tokens, a request's max_tokens and prompt
// are held from admission until its answer ends, so a concurrent request that would
// overshoot is refused (429, saying why, the provider not called); the answer settles
// to its real usage, and an answer that fails gives its reservation back.
func TestTokenBudgetReserves(t *testing.T) {
	gate := make(chan struct{})
	h := optInProxy(t, 1000, false, true, fakellm.Config{StreamGate: gate})
	alice := tokens.Alice(t)
	ask := func(maxTokens int, stream bool) string {
		return `{"model":"gpt-4o-mini","stream":` + strconv.FormatBool(stream) + `,"max_tokens":` + strconv.Itoa(maxTokens) +
			`,"messages":[{"role":"user","content":"hello"}]}`
	}
	resp, got := h.do(http.MethodPost, "/openai", alice, ask(2000, false))
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Contains(t, got, "max_tokens (2000) and the prompt (about")
	require.Equal(t, "true", resp.Header.Get("X-Envoy-Ratelimited"))
	require.Equal(t, int64(1000), remaining(t, resp), "nothing is held by a refused reservation")
	require.Empty(t, h.fake.Requests())

	// A stream holds 600 tokens and its prompt while it runs.
	first := ask(600, true)
	held := 600 + llm.EstimateTokens(int64(len(first)))
	req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(first))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+alice)
	streaming, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, int64(1000)-held, remaining(t, streaming))
	br := bufio.NewReader(streaming.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "data: "), line)

	resp, got = h.do(http.MethodPost, "/openai", alice, ask(600, false))
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "600 more would overshoot the budget while the stream runs")
	require.Equal(t, int64(1000)-held, remaining(t, resp))
	require.Contains(t, got, "tokens left of a token budget")

	gate <- struct{}{}
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	require.Contains(t, string(rest), "data: [DONE]")
	require.NoError(t, streaming.Body.Close())
	used := fakellm.PromptTokens([]byte(first)) + fakellm.StreamTokens(3)

	resp, got = h.do(http.MethodPost, "/openai", alice, `{"model":"gpt-4o-mini","messages":[]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, 1000-used, remaining(t, resp), "the stream settled to what it used; a body without max_tokens reserves nothing")
	require.Len(t, h.fake.Requests(), 2)

	failing := optInProxy(t, 1000, false, true, fakellm.Config{Status: http.StatusServiceUnavailable})
	resp, _ = failing.do(http.MethodPost, "/openai", alice, ask(500, false))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, _ = failing.do(http.MethodPost, "/openai", alice, ask(500, false))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, int64(1000-500)-llm.EstimateTokens(int64(len(ask(500, false)))), remaining(t, resp),
		"the failed answer gave its reservation back: only this request's is held")
}

// TestTokenBudgetOptInsRawClients: the opt-ins against a raw socket. A chunked prompt
// whose max_tokens is split across two chunks (header names in odd case) is reserved
// whole: too many tokens are refused with the headers and the body, then a fitting
// request on the same connection passes; a stopped stream is well framed (chunked, with
// its last chunk) and ends with the stop event, and the connection serves the next
// request.
func TestTokenBudgetOptInsRawClients(t *testing.T) {
	h := optInProxy(t, 300, true, true, fakellm.Config{StreamChunks: 200})
	alice := tokens.Alice(t)
	chunked := func(body string) string {
		cut := strings.Index(body, `"max_tokens":`) + len(`"max_tok`)
		return "POST /openai HTTP/1.1\r\nhOsT: x\r\naUtHoRiZaTiOn: Bearer " + alice + "\r\ncontent-TYPE: application/json\r\n" +
			"TRANSFER-encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(cut), 16) + "\r\n" + body[:cut] + "\r\n" +
			strconv.FormatInt(int64(len(body)-cut), 16) + "\r\n" + body[cut:] + "\r\n0\r\n\r\n"
	}
	ask := func(maxTokens int, stream bool) string {
		return `{"model":"gpt-4o-mini","stream":` + strconv.FormatBool(stream) + `,"max_tokens":` + strconv.Itoa(maxTokens) +
			`,"messages":[{"role":"user","content":"hello"}]}`
	}
	c := h.dialRaw()
	c.send(chunked(ask(400, false)))
	resp, got := c.read()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, got)
	require.Contains(t, got, "max_tokens (400) and the prompt (about")
	require.Equal(t, "true", resp.Header.Get("X-Envoy-Ratelimited"))
	require.Equal(t, "300, 300;w=3600", resp.Header.Get("X-Ratelimit-Limit"))
	require.Equal(t, "300", resp.Header.Get("X-Ratelimit-Remaining"))
	require.Empty(t, h.fake.Requests(), "the provider is not called")

	c.send(chunked(ask(100, false)))
	resp, got = c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	reqs := h.fake.Requests()
	require.Len(t, reqs, 1)
	require.JSONEq(t, ask(100, false), string(reqs[0].Body), "the provider got the whole prompt")

	// The stream reserves no more than what is left and runs past it: it is stopped.
	c.send(chunked(ask(10, true)))
	resp, got = c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	require.True(t, strings.HasSuffix(got, openAIStopEvent(t)), tail(got))
	require.NotContains(t, got, "[DONE]")

	c.send("GET /openai HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice + "\r\n\r\n")
	resp, _ = c.read()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the connection still serves; the budget is spent")
}
