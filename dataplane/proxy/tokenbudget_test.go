package proxy_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// budgetProxy serves the tutorial's AI route with a token budget of n tokens an hour
// per user (lab 6's RateLimitConfig on an AI route).
func budgetProxy(t *testing.T, n uint32, cfg fakellm.Config) *harness {
	t.Helper()
	clk := &testClock{t: rlStart}
	h := newHarness(t, cfg, func(c *proxy.Config) { c.Now, c.UsageClaim = clk.Now, "sub" })
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	p := perUserCounter(n)
	p.Tokens = true
	s.Listeners[0].VirtualHosts[0].Routes[0].RateLimits = &snapshotv1.RateLimits{Regular: []*snapshotv1.RateLimitPolicy{p}}
	h.apply(s, false)
	return h
}

func remaining(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	n, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Remaining"), 10, 64)
	require.NoError(t, err, "x-ratelimit-remaining %q", resp.Header.Get("X-Ratelimit-Remaining"))
	return n
}

// TestTokenBudget: on an AI route the limit counts the provider's reported tokens,
// charged when the answer ends: the remaining budget falls by each answer's usage, a
// window at its limit refuses the next request without calling the provider, and the
// access log carries the tokens.
func TestTokenBudget(t *testing.T) {
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"How many tokens is this?"}]}`
	cost := fakellm.PromptTokens([]byte(body)) + fakellm.AnswerTokens
	require.Positive(t, fakellm.PromptTokens([]byte(body)))
	h := budgetProxy(t, uint32(2*cost+1), fakellm.Config{})
	alice := tokens.Alice(t)
	for i := range 3 {
		resp, got := h.do(http.MethodPost, "/openai", alice, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, got)
		require.Equal(t, 2*cost+1-int64(i)*cost, remaining(t, resp), "request %d sees the tokens charged before it", i)
	}
	resp, got := h.do(http.MethodPost, "/openai", alice, body)
	requireLimited(t, resp, got, strconv.FormatInt(2*cost+1, 10)+", "+strconv.FormatInt(2*cost+1, 10)+";w=3600")
	require.Len(t, h.fake.Requests(), 3, "the provider is not called once the budget is spent")
	require.Regexp(t, `"request_model":"gpt-4o-mini","response_model":"[^"]+"`, h.access.String(), "the access log names both models")
	require.Contains(t, h.access.String(), `"tokens_in":`+strconv.FormatInt(fakellm.PromptTokens([]byte(body)), 10)+`,"tokens_out":7,"tokens_estimated":false`)

	resp, got = h.do(http.MethodPost, "/openai", tokens.Bob(t), body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got, "another user has a budget of their own")

	// The usage metrics: three of Alice's answers of 7 output tokens each.
	m := h.metrics()
	require.Regexp(t, `gen_ai_client_token_usage_sum\{claim="[^"]+",gen_ai_request_model="gpt-4o-mini",gen_ai_response_model="gpt-4o-mini",gen_ai_system="openai",gen_ai_token_type="output",route="`+openaiRoute+`"\} 21\n`, m)
	require.Regexp(t, `gen_ai_client_token_usage_count\{claim="[^"]+",gen_ai_request_model="gpt-4o-mini",gen_ai_response_model="gpt-4o-mini",gen_ai_system="openai",gen_ai_token_type="input",route="`+openaiRoute+`"\} 3\n`, m)
	require.Contains(t, m, "claimgate_proxy_llm_time_to_first_byte_seconds_count")
}

// TestTokenBudgetStream: a streamed answer is charged its usage, which the proxy asks
// the provider for (stream_options.include_usage) when the client did not, without
// showing the client the usage chunk it did not ask for.
func TestTokenBudgetStream(t *testing.T) {
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Stream me a story"}]}`
	cost := fakellm.PromptTokens([]byte(body)) + fakellm.StreamTokens(3)
	h := budgetProxy(t, 1000, fakellm.Config{})
	alice := tokens.Alice(t)
	resp, got := h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.Contains(t, got, "data: [DONE]")
	require.NotContains(t, got, `"choices":[]`, "the usage chunk the client did not ask for is hidden")
	require.NotContains(t, got, `"prompt_tokens"`)
	reqs := h.fake.Requests()
	require.Len(t, reqs, 1)
	var sent struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	require.NoError(t, json.Unmarshal(reqs[0].Body, &sent))
	require.True(t, sent.StreamOptions.IncludeUsage, "the provider is asked for usage")

	resp, _ = h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, 1000-cost, remaining(t, resp))

	// A client that asked for usage sees it.
	asked := strings.Replace(body, `"stream":true`, `"stream":true,"stream_options":{"include_usage":true}`, 1)
	resp, got = h.do(http.MethodPost, "/openai", alice, asked)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, got, `"prompt_tokens"`)
}

// TestTokenBudgetClientLeaves: a client that hangs up mid-stream is charged what was
// produced; without the provider's count, the estimate (marked in the access log).
func TestTokenBudgetClientLeaves(t *testing.T) {
	gate := make(chan struct{})
	t.Cleanup(func() { close(gate) })
	h := budgetProxy(t, 1000, fakellm.Config{StreamChunks: 3, StreamGate: gate})
	alice := tokens.Alice(t)
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"` + strings.Repeat("long prompt ", 40) + `"}]}`
	req, err := http.NewRequest(http.MethodPost, h.base+"/openai", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "data: "), line)
	require.NoError(t, resp.Body.Close()) // hang up before the provider's usage chunk

	require.Eventually(t, func() bool { return strings.Contains(h.access.String(), `"tokens_estimated":true`) }, 5*time.Second, 10*time.Millisecond)
	resp, got := h.do(http.MethodPost, "/openai", alice, `{"model":"gpt-4o-mini","messages":[]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	left := remaining(t, resp)
	require.Less(t, left, int64(1000), "the abandoned stream was charged")
	require.LessOrEqual(t, 1000-left, int64(len(body))/4+50, "about a token per 4 bytes of prompt and of what was streamed")
}

// TestTokenBudgetRawClients: hostile spellings on a token-budget route, over a raw
// socket: a chunked prompt (header names in odd case) is read whole, forwarded once
// and charged; a prompt that claims a length and sends less is a 400 and charges
// nothing; a request with both Content-Length and Transfer-Encoding reaches the
// provider once, re-framed.
func TestTokenBudgetRawClients(t *testing.T) {
	h := budgetProxy(t, 1000, fakellm.Config{})
	alice := tokens.Alice(t)
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"chunked prompt"}]}`
	cost := fakellm.PromptTokens([]byte(body)) + fakellm.AnswerTokens

	c := h.dialRaw()
	c.send("POST /openai HTTP/1.1\r\nhOsT: x\r\naUtHoRiZaTiOn: Bearer " + alice + "\r\ncontent-TYPE: application/json\r\n" +
		"TRANSFER-encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(body[:20])), 16) + "\r\n" + body[:20] + "\r\n" +
		strconv.FormatInt(int64(len(body[20:])), 16) + "\r\n" + body[20:] + "\r\n0\r\n\r\n")
	resp, got := c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	reqs := h.fake.Requests()
	require.Len(t, reqs, 1)
	require.JSONEq(t, body, string(reqs[0].Body), "the provider got the whole prompt")

	resp, _ = h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, 1000-cost, remaining(t, resp), "the chunked request was charged its usage")

	c = h.dialRaw()
	c.send("POST /openai HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice + "\r\nContent-Length: 500\r\n\r\n" + body)
	c.closeWrite()
	resp, got = c.read()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, got)

	// Content-Length with Transfer-Encoding: read as chunked (RFC 9112 §6.1), and the
	// provider gets one request in the proxy's own framing, so nothing of the client's
	// framing can be read there as a second request.
	c = h.dialRaw()
	c.send("POST /openai HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	resp, _ = c.read()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "the provider refuses the empty prompt")
	reqs = h.fake.Requests()
	require.Len(t, reqs, 3, "the length-mismatched request never reached the provider; this one reached it once")
	require.Empty(t, reqs[2].Body)
	require.Equal(t, "0", reqs[2].Header.Get("Content-Length"))
	resp, _ = h.do(http.MethodPost, "/openai", alice, body)
	require.Equal(t, 1000-2*cost, remaining(t, resp), "refused requests charge nothing")
}

// closeWrite ends what the client sends, as a client that gave up on its body does.
func (c *rawConn) closeWrite() {
	c.t.Helper()
	require.NoError(c.t, c.c.(*net.TCPConn).CloseWrite())
}
