package llm_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/test/fakellm"
)

// TestMeterAgainstTheFake runs the whole metering sequence over HTTP against the fake
// provider: the request asks for usage, the client never sees the usage chunk it did not
// ask for, and the charge is what the provider reported.
func TestMeterAgainstTheFake(t *testing.T) {
	fake := fakellm.New(fakellm.Config{StreamChunks: 4})
	fake.Start()
	defer fake.Close()
	a, err := llm.Compile(&snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k"})
	require.NoError(t, err)
	const messages = `"messages":[{"role":"user","content":"Explain recursion in one line."}]`
	tests := map[string]struct {
		body      string
		wantChunk bool // the client gets the usage chunk
		want      llm.Usage
	}{
		"stream that did not ask for usage": {
			body: `{"model":"m","stream":true,` + messages + `}`,
			want: llm.Usage{Input: fakellm.PromptTokens([]byte(`{` + messages + `}`)), Output: fakellm.StreamTokens(4), Model: "m"},
		},
		"stream that asked for usage": {
			body: `{"model":"m","stream":true,"stream_options":{"include_usage":true},` + messages + `}`, wantChunk: true,
			want: llm.Usage{Input: fakellm.PromptTokens([]byte(`{` + messages + `}`)), Output: fakellm.StreamTokens(4), Model: "m"},
		},
		"JSON answer": {
			body: `{"model":"m",` + messages + `}`,
			want: llm.Usage{Input: fakellm.PromptTokens([]byte(`{` + messages + `}`)), Output: fakellm.AnswerTokens, Model: "m"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body, hide := a.PrepareUsage("/v1/chat/completions", []byte(tc.body))
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, fake.URL()+"/v1/chat/completions", bytes.NewReader(body))
			require.NoError(t, err)
			llm.PrepareUsageHeader(req.Header)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			var got []llm.Usage
			a.Meter(resp, int64(len(tc.body)), hide, func(u llm.Usage) { got = append(got, u) })
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, []llm.Usage{tc.want}, got)
			if resp.Header.Get("Content-Type") == "text/event-stream" {
				require.Equal(t, tc.wantChunk, strings.Contains(string(b), `"choices":[]`), string(b))
				require.True(t, strings.HasSuffix(string(b), "data: [DONE]\n\n"))
				require.Contains(t, string(b), "word3")
			}
		})
	}
}
