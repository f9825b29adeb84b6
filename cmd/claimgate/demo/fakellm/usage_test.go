package fakellm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPromptTokens(t *testing.T) {
	tests := map[string]struct {
		body string
		want int64
	}{
		"two messages":         {body: `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is recursion?"}]}`, want: 3 + 4 + 3 + 4 + 5},
		"content parts":        {body: `{"messages":[{"role":"user","content":[{"type":"text","text":"12345678"}]}]}`, want: 3 + 4 + 2},
		"no messages":          {body: `{"model":"m"}`, want: 3},
		"messages not a list":  {body: `{"messages":"hi"}`, want: 3},
		"not a chat request":   {body: `nope`, want: 0},
		"empty message object": {body: `{"messages":[{}]}`, want: 3 + 4},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, PromptTokens([]byte(tc.body)))
		})
	}
}

// chunk is the part of a streamed chunk the tests read.
type chunk struct {
	Choices []json.RawMessage `json:"choices"`
	Usage   *struct {
		Prompt     int64 `json:"prompt_tokens"`
		Completion int64 `json:"completion_tokens"`
		Total      int64 `json:"total_tokens"`
	} `json:"usage"`
}

func TestUsage(t *testing.T) {
	const messages = `"messages":[{"role":"user","content":"What is recursion?"}]`
	prompt := PromptTokens([]byte(`{` + messages + `}`))
	tests := map[string]struct {
		body       string
		wantStatus int
		wantUsage  []string // the usage member of each chunk (or of the answer); "-" when absent
	}{
		"JSON answer": {
			body: `{"model":"m",` + messages + `}`, wantStatus: 200,
			wantUsage: []string{usageJSON(prompt, AnswerTokens)},
		},
		"stream without stream_options: no usage": {
			body: `{"model":"m","stream":true,` + messages + `}`, wantStatus: 200,
			wantUsage: []string{"-", "-", "-"},
		},
		"stream with include_usage false: no usage": {
			body: `{"model":"m","stream":true,"stream_options":{"include_usage":false},` + messages + `}`, wantStatus: 200,
			wantUsage: []string{"-", "-", "-"},
		},
		"stream with include_usage: null usage, then a usage-only chunk": {
			body: `{"model":"m","stream":true,"stream_options":{"include_usage":true},` + messages + `}`, wantStatus: 200,
			wantUsage: []string{"null", "null", "null", usageJSON(prompt, StreamTokens(3))},
		},
		"stream_options without stream": {
			body: `{"model":"m","stream_options":{"include_usage":true}}`, wantStatus: 400,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			NewBackend(Config{}).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/chat/completions", strings.NewReader(tc.body)))
			require.Equal(t, tc.wantStatus, rec.Code, rec.Body.String())
			if tc.wantStatus != 200 {
				return
			}
			var docs []string
			if rec.Header().Get("Content-Type") == "text/event-stream" {
				for _, ev := range strings.Split(strings.TrimSuffix(rec.Body.String(), "data: [DONE]\n\n"), "\n\n") {
					if ev != "" {
						docs = append(docs, strings.TrimPrefix(ev, "data: "))
					}
				}
			} else {
				b, err := io.ReadAll(rec.Body)
				require.NoError(t, err)
				docs = []string{string(b)}
			}
			require.Len(t, docs, len(tc.wantUsage))
			for i, d := range docs {
				var m map[string]json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(d), &m), d)
				got, ok := m["usage"]
				if tc.wantUsage[i] == "-" {
					require.False(t, ok, d)
					continue
				}
				require.JSONEq(t, tc.wantUsage[i], string(got))
				var c chunk
				require.NoError(t, json.Unmarshal([]byte(d), &c))
				if c.Usage != nil && strings.Contains(d, "chunk") {
					require.Empty(t, c.Choices, "the usage chunk has no choices")
				}
			}
		})
	}
}
