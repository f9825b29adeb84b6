package proxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakellm"
)

// modelUpstream is an OpenAI-style provider that answers a request for model m as the
// model answers[m] (no "model" member when that is empty), in a JSON answer or a stream,
// with 3 prompt and 2 completion tokens.
func modelUpstream(t *testing.T, answers map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		model := ""
		if m := answers[req.Model]; m != "" {
			b, _ := json.Marshal(m)
			model = `"model":` + string(b) + `,`
		}
		usage := `"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}`
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"c1","object":"chat.completion",%s"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"}}],%s}`, model, usage)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",%s\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", model)
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",%s\"choices\":[],%s}\n\n", model, usage)
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestUsageResponseModel: the usage metrics carry the model that answered, as the
// answer names it, next to the model the request asked for; a name the upstream sends
// that is not shaped like a model name is counted as "other", none as "".
func TestUsageResponseModel(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	up := modelUpstream(t, map[string]string{
		"gpt-4o-mini": "gpt-4o-mini-2024-07-18",
		"gpt-4o":      "gpt-4o-2024-08-06",
		"hostile":     `gpt"} 1e9 <script>`,
	})
	h.apply(tutorial(t, h.port, up, false, false), false)
	for _, body := range []string{
		`{"model":"gpt-4o-mini","messages":[]}`,
		`{"model":"gpt-4o","stream":true,"messages":[]}`,
		`{"model":"hostile","messages":[]}`,
		`{"model":"unnamed","stream":true,"messages":[]}`,
	} {
		resp, got := h.do(http.MethodPost, "/openai", "", body)
		require.Equal(t, http.StatusOK, resp.StatusCode, got)
	}
	m := h.metrics()
	for request, response := range map[string]string{
		"gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-4o": "gpt-4o-2024-08-06", "hostile": "other", "unnamed": "",
	} {
		labels := `{claim="",gen_ai_request_model="` + request + `",gen_ai_response_model="` + response +
			`",gen_ai_system="openai",gen_ai_token_type="output",route="` + openaiRoute + `"}`
		require.Contains(t, m, "gen_ai_client_token_usage_sum"+labels+" 2\n", request)
		require.Contains(t, m, "claimgate_proxy_llm_tokens_total"+labels+" 2\n", request)
	}
	require.NotContains(t, m, "script")
}
