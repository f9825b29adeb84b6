package proxy_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
)

// lab7Models are lab 7's priorities, in order.
var lab7Models = []string{"gpt-4o", "gpt-4.0-turbo", "gpt-3.5-turbo"}

// lab7 serves lab 7: three priorities of one OpenAI member each, with its own model, at
// b, and the lab's retries.
func lab7(t *testing.T, h *harness, b *failingLLM) {
	t.Helper()
	var prios [][]*snapshotv1.LlmUpstream
	for _, m := range lab7Models {
		prios = append(prios, []*snapshotv1.LlmUpstream{openaiMember(t, b, m, "sk-lab7")})
	}
	failoverRoute(t, h, lab7Retry(), prios...)
}

// TestFailoverLab7: a backend answering 429 to everything receives three requests, with
// the model of each priority in turn, and the client gets the last 429.
func TestFailoverLab7(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	b := newFailingLLM(t)
	b.fail("*", http.StatusTooManyRequests)
	lab7(t, h, b)

	resp, body := h.do(http.MethodPost, "/openai", "", failoverChat("gpt-4o-mini", false))
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.JSONEq(t, `{"error":{"message":"429 for gpt-3.5-turbo"}}`, body, "the last attempt's answer")
	require.Equal(t, lab7Models, b.models())
	for _, r := range b.requests() {
		require.Equal(t, "Bearer sk-lab7", r.header.Get("Authorization"))
		require.Equal(t, "/v1/chat/completions", r.path)
	}
	require.Eventually(t, func() bool {
		return strings.Contains(h.access.String(), `"failover_priority":2,"failover_member":0,"attempts":3`)
	}, time.Second, 5*time.Millisecond, h.access.String())
	m := h.metrics()
	for _, p := range []string{"0", "1", "2"} {
		require.Contains(t, m, `claimgate_proxy_failover_attempts_total{priority="`+p+`",result="failed",upstream="upstream:gloo-system/openai"} 1`)
		require.Contains(t, m, `claimgate_proxy_failover_member_ejected{member="0",priority="`+p+`",upstream="upstream:gloo-system/openai"} 0`)
	}
}

// TestFailoverRecovers: when the second priority answers, the client gets its answer,
// asked for its model, and the access log and usage name that model.
func TestFailoverRecovers(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	b := newFailingLLM(t)
	b.fail("gpt-4o", http.StatusTooManyRequests)
	lab7(t, h, b)

	resp, body := h.do(http.MethodPost, "/openai", "", failoverChat("gpt-4o-mini", false))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `"model":"gpt-4.0-turbo"`)
	require.Equal(t, lab7Models[:2], b.models())
	require.Eventually(t, func() bool {
		return strings.Contains(h.access.String(), `"request_model":"gpt-4.0-turbo","response_model":"gpt-4.0-turbo"`) &&
			strings.Contains(h.access.String(), `"failover_priority":1,"failover_member":0,"attempts":2`)
	}, time.Second, 5*time.Millisecond, h.access.String())
	m := h.metrics()
	require.Contains(t, m, `claimgate_proxy_failover_attempts_total{priority="0",result="failed",upstream="upstream:gloo-system/openai"} 1`)
	require.Contains(t, m, `claimgate_proxy_failover_attempts_total{priority="1",result="answered",upstream="upstream:gloo-system/openai"} 1`)
	require.Contains(t, m, `claimgate_proxy_llm_tokens_total{claim="",gen_ai_request_model="gpt-4.0-turbo",gen_ai_response_model="gpt-4.0-turbo",gen_ai_system="openai",gen_ai_token_type="input"`,
		"usage is metered as the member's model and provider")
}

// TestFailoverEachMemberItsOwnKey: every attempt carries its member's provider, key and
// model to its member's backend, never the client's credentials; without
// previousPriorities a retry stays in its priority, at the next member.
func TestFailoverEachMemberItsOwnKey(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	a, b, c := newFailingLLM(t), newFailingLLM(t), newFailingLLM(t)
	a.fail("*", http.StatusServiceUnavailable)
	anthropic := &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_ANTHROPIC, Model: "claude-3-5-sonnet", AuthToken: "sk-b", Endpoint: b.endpoint(t)}
	retry := retryPolicy(1, "5xx")
	failoverRoute(t, h, retry,
		[]*snapshotv1.LlmUpstream{openaiMember(t, a, "gpt-4o", "sk-a"), anthropic},
		[]*snapshotv1.LlmUpstream{openaiMember(t, c, "gpt-3.5-turbo", "sk-c")})

	resp, body := h.do(http.MethodPost, "/openai", "client-token", failoverChat("whatever", false))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `"model":"claude-3-5-sonnet"`)
	ra, rb := a.requests(), b.requests()
	require.Len(t, ra, 1)
	require.Equal(t, "gpt-4o", ra[0].model)
	require.Equal(t, "Bearer sk-a", ra[0].header.Get("Authorization"))
	require.Len(t, rb, 1, "the retry goes to the next member of the same priority")
	require.Equal(t, "claude-3-5-sonnet", rb[0].model)
	require.Equal(t, "sk-b", rb[0].header.Get("X-Api-Key"))
	require.Equal(t, "2023-06-01", rb[0].header.Get("Anthropic-Version"))
	require.Empty(t, rb[0].header.Get("Authorization"), "the client's token never reaches a provider")
	require.Empty(t, c.requests(), "the second priority is not needed")
}

// TestFailoverEjection: a member failing five times in a row is skipped for 30 s (on
// the proxy's clock), then tried again; ejected again, for 60 s. The last member not
// ejected is never ejected.
func TestFailoverEjection(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, fakellm.Config{}, func(c *proxy.Config) { c.Now = clock.Now })
	a, b := newFailingLLM(t), newFailingLLM(t)
	a.fail("*", http.StatusBadGateway)
	b.fail("*", http.StatusInternalServerError)
	failoverRoute(t, h, nil,
		[]*snapshotv1.LlmUpstream{openaiMember(t, a, "primary", "sk-a")},
		[]*snapshotv1.LlmUpstream{openaiMember(t, b, "secondary", "sk-b")})
	ask := func(want int) {
		t.Helper()
		resp, body := h.do(http.MethodPost, "/openai", "", failoverChat("m", false))
		require.Equal(t, want, resp.StatusCode, body)
	}
	for range 5 {
		ask(http.StatusBadGateway)
	}
	require.Len(t, a.requests(), 5)
	require.Contains(t, h.metrics(), `claimgate_proxy_failover_member_ejected{member="0",priority="0",upstream="upstream:gloo-system/openai"} 1`)

	for range 7 { // the secondary fails too, but is the last member not ejected
		ask(http.StatusInternalServerError)
	}
	require.Len(t, a.requests(), 5, "the ejected member is skipped")
	require.Len(t, b.requests(), 7)
	require.Contains(t, h.metrics(), `claimgate_proxy_failover_member_ejected{member="0",priority="1",upstream="upstream:gloo-system/openai"} 0`)

	clock.advance(31 * time.Second)
	require.Contains(t, h.metrics(), `claimgate_proxy_failover_member_ejected{member="0",priority="0",upstream="upstream:gloo-system/openai"} 0`)
	for range 5 {
		ask(http.StatusBadGateway)
	}
	require.Len(t, a.requests(), 10, "back after the interval")
	ask(http.StatusInternalServerError)
	clock.advance(31 * time.Second)
	ask(http.StatusInternalServerError)
	require.Len(t, a.requests(), 10, "ejected a second time in a row: for 60 s")
	clock.advance(30 * time.Second)
	a.fail("*", 0)
	ask(http.StatusOK)
	require.Len(t, a.requests(), 11)
}

// TestFailoverStreams: a streamed answer from the priority that answers reaches the
// client event by event, to [DONE].
func TestFailoverStreams(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	b := newFailingLLM(t)
	b.fail("gpt-4o", http.StatusTooManyRequests)
	lab7(t, h, b)

	resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader(failoverChat("gpt-4o-mini", true)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, line)
		}
	}
	require.NoError(t, sc.Err())
	require.GreaterOrEqual(t, len(events), 2)
	require.Contains(t, events[0], `"model":"gpt-4.0-turbo"`)
	require.Equal(t, "[DONE]", events[len(events)-1])
	require.Equal(t, lab7Models[:2], b.models())
}

// TestFailoverEjectionOutlivesSnapshots: a new snapshot keeps an ejection of a member
// that is still the same provider, endpoint and model; a member whose model changed is
// a new member, tried at once.
func TestFailoverEjectionOutlivesSnapshots(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, fakellm.Config{}, func(c *proxy.Config) { c.Now = clock.Now })
	a, b := newFailingLLM(t), newFailingLLM(t)
	a.fail("*", http.StatusServiceUnavailable)
	serve := func(primaryModel, secondaryKey string) {
		failoverRoute(t, h, nil,
			[]*snapshotv1.LlmUpstream{openaiMember(t, a, primaryModel, "sk-a")},
			[]*snapshotv1.LlmUpstream{openaiMember(t, b, "secondary", secondaryKey)})
	}
	serve("primary", "sk-b")
	for range 5 {
		resp, _ := h.do(http.MethodPost, "/openai", "", failoverChat("m", false))
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	}
	serve("primary", "sk-b-rotated")
	resp, body := h.do(http.MethodPost, "/openai", "", failoverChat("m", false))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Len(t, a.requests(), 5, "still ejected under the new snapshot")
	require.Equal(t, "Bearer sk-b-rotated", b.requests()[0].header.Get("Authorization"))

	serve("primary-v2", "sk-b-rotated")
	resp, _ = h.do(http.MethodPost, "/openai", "", failoverChat("m", false))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a member with another model starts healthy")
	require.Equal(t, "primary-v2", a.requests()[5].model)
}

// TestFailoverUpdateFrequency: with previousPriorities.updateFrequency 2, two attempts
// are made at each priority (its members in turn) before a retry moves on.
func TestFailoverUpdateFrequency(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	b := newFailingLLM(t)
	b.fail("*", http.StatusServiceUnavailable)
	retry := retryPolicy(3, "5xx")
	retry.PreviousPriorities, retry.PreviousPrioritiesUpdateFrequency = true, 2
	failoverRoute(t, h, retry,
		[]*snapshotv1.LlmUpstream{openaiMember(t, b, "a", "k"), openaiMember(t, b, "b", "k")},
		[]*snapshotv1.LlmUpstream{openaiMember(t, b, "c", "k")})

	resp, body := h.do(http.MethodPost, "/openai", "", failoverChat("m", false))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.JSONEq(t, `{"error":{"message":"503 for c"}}`, body)
	require.Equal(t, []string{"a", "b", "c", "c"}, b.models())
}

// TestFailoverEachAttemptHasItsProvidersPath: every attempt starts from the request as
// the route left it, so an Azure member's deployment path and a custom host's base
// path stay with their member and the next member gets its own.
func TestFailoverEachAttemptHasItsProvidersPath(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	a, b, c := newFailingLLM(t), newFailingLLM(t), newFailingLLM(t)
	a.fail("*", http.StatusServiceUnavailable)
	b.fail("*", http.StatusServiceUnavailable)
	azure := &snapshotv1.LlmUpstream{
		Provider: snapshotv1.LlmProvider_AZURE_OPENAI, AuthToken: "sk-azure", Endpoint: a.endpoint(t),
		DeploymentName: "gpt-4o", ApiVersion: "2024-10-21",
	}
	based := openaiMember(t, b, "based", "sk-b")
	based.BasePath = "/proxy"
	retry := retryPolicy(2, "5xx")
	retry.PreviousPriorities = true
	failoverRoute(t, h, retry,
		[]*snapshotv1.LlmUpstream{azure},
		[]*snapshotv1.LlmUpstream{based},
		[]*snapshotv1.LlmUpstream{openaiMember(t, c, "plain", "sk-c")})

	resp, body := h.do(http.MethodPost, "/openai", "", failoverChat("m", false))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	ra, rb, rc := a.requests(), b.requests(), c.requests()
	require.Len(t, ra, 1)
	require.Equal(t, "/openai/deployments/gpt-4o/chat/completions", ra[0].path)
	require.Equal(t, "sk-azure", ra[0].header.Get("Api-Key"))
	require.Len(t, rb, 1)
	require.Equal(t, "/proxy/v1/chat/completions", rb[0].path)
	require.Empty(t, rb[0].header.Get("Api-Key"), "the Azure member's key stays with it")
	require.Len(t, rc, 1)
	require.Equal(t, "/v1/chat/completions", rc[0].path)
	require.Equal(t, "Bearer sk-c", rc[0].header.Get("Authorization"))
	require.Equal(t, "plain", rc[0].model)
}

// TestFailoverBodyTooLarge: a body past the proxy's limit, which could not be held for
// the attempts, is answered 413 and reaches no member.
func TestFailoverBodyTooLarge(t *testing.T) {
	h := newHarness(t, fakellm.Config{}, func(c *proxy.Config) { c.MaxBodyBytes = 256 })
	b := newFailingLLM(t)
	lab7(t, h, b)

	resp, body := h.do(http.MethodPost, "/openai", "", failoverChat(strings.Repeat("x", 300), false))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, body)
	require.Empty(t, b.requests())
	resp, body = h.do(http.MethodPost, "/openai", "", failoverChat("small", false))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
}
