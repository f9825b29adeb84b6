package llm

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRewriteModel(t *testing.T) {
	tests := map[string]struct {
		body    string
		limit   int64
		want    string
		wantErr error
	}{
		"replaces the model":      {body: `{"model":"gpt-3.5-turbo","stream":true}`, limit: 100, want: `{"model":"gpt-4o","stream":true}`},
		"adds a missing model":    {body: `{"messages":[]}`, limit: 100, want: `{"messages":[],"model":"gpt-4o"}`},
		"non JSON passes as is":   {body: `hello`, limit: 100, want: `hello`},
		"JSON array passes as is": {body: `[1,2]`, limit: 100, want: `[1,2]`},
		"too large":               {body: strings.Repeat("x", 101), limit: 100, wantErr: ErrBodyTooLarge},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			err := RewriteModel(r, "gpt-4o", tc.limit)
			if tc.wantErr != nil {
				require.True(t, errors.Is(err, tc.wantErr), "got %v", err)
				return
			}
			require.NoError(t, err)
			got, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			if strings.HasPrefix(tc.want, "{") {
				require.JSONEq(t, tc.want, string(got))
			} else {
				require.Equal(t, tc.want, string(got))
			}
			require.Equal(t, int64(len(got)), r.ContentLength)
		})
	}
}

func TestRequestModel(t *testing.T) {
	for body, want := range map[string]string{
		`{"messages":[{"role":"user","content":"{\"model\":\"no\"}"}],"model":"gpt-4o-mini"}`: "gpt-4o-mini",
		`{"model":"m","model":"later"}`: "",
		`{"model":"m","model":"m"}`:     "m",
		`{"model":"m", "messages":[`:    "",
		`{"stream":true}`:               "",
		`["model"]`:                     "",
		`{"model":42}`:                  "",
		`not json`:                      "",
		`{"model":"` + strings.Repeat("x", 200) + `"}`: "",
	} {
		require.Equal(t, want, RequestModel([]byte(body)), body)
	}
}

func TestInMemory(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("streamed"))
	_, ok := InMemory(r)
	require.False(t, ok, "a body as it arrives is not in memory")
	SetBody(r, []byte("kept"))
	b, ok := InMemory(r)
	require.True(t, ok)
	require.Equal(t, "kept", string(b))
}

func TestRequestMaxTokens(t *testing.T) {
	tests := map[string]struct {
		body string
		want int64
	}{
		"chat completions":             {`{"model":"gpt-4o","max_tokens":256,"messages":[]}`, 256},
		"the newer name wins":          {`{"max_tokens":10,"max_completion_tokens":300}`, 300},
		"the newer name wins, first":   {`{"max_completion_tokens":300,"max_tokens":10}`, 300},
		"responses API":                {`{"input":"hi","max_output_tokens":64}`, 64},
		"anthropic":                    {`{"model":"claude","max_tokens":1024,"messages":[{"role":"user","content":"x"}]}`, 1024},
		"gemini":                       {`{"contents":[],"generationConfig":{"temperature":1,"maxOutputTokens":99}}`, 99},
		"none":                         {`{"model":"gpt-4o","messages":[]}`, 0},
		"zero":                         {`{"max_tokens":0}`, 0},
		"negative":                     {`{"max_tokens":-5}`, 0},
		"a string":                     {`{"max_tokens":"500"}`, 0},
		"nested elsewhere is not read": {`{"messages":[{"max_tokens":5}]}`, 0},
		"not JSON":                     {`max_tokens=5`, 0},
		"an array":                     {`[{"max_tokens":5}]`, 0},
		"huge is bounded":              {`{"max_tokens":1e300}`, maxTokens},
		"truncated: not JSON":          {`{"max_tokens":77,"messages":[`, 0},
		"twice: the largest":           {`{"max_tokens":1,"max_tokens":500,"max_tokens":2}`, 500},
		"gemini twice: the largest":    {`{"generationConfig":{"maxOutputTokens":5},"generationConfig":{"maxOutputTokens":50}}`, 50},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := RequestMaxTokens([]byte(tc.body))
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.want > 0, ok)
		})
	}
}

// BenchmarkRequestModel reads the model and max_tokens of a chat request of about
// 2 KiB, as the proxy does for metering, model-aware authorization and reservations.
func BenchmarkRequestModel(b *testing.B) {
	body := []byte(`{"model":"gpt-3.5-turbo","max_tokens":256,"messages":[{"role":"system","content":"` +
		strings.Repeat("You are a helpful assistant. ", 40) + `"},{"role":"user","content":"Explain recursion."}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if RequestModel(body) == "" {
			b.Fatal("no model")
		}
		if _, ok := RequestMaxTokens(body); !ok {
			b.Fatal("no max_tokens")
		}
	}
}
