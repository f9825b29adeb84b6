package fakellm

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBackend(t *testing.T) {
	tests := map[string]struct {
		method, path, body string
		wantStatus         int
		wantType           string
		wantBody           []string
	}{
		"chat echoes the model": {
			method: "POST", path: "/v1/chat/completions", body: `{"model":"gpt-4o","messages":[]}`,
			wantStatus: 200, wantType: "application/json", wantBody: []string{`"model":"gpt-4o"`, `"object":"chat.completion"`},
		},
		"azure deployment path": {
			method: "POST", path: "/openai/deployments/d1/chat/completions", body: `{"model":"m"}`,
			wantStatus: 200, wantType: "application/json", wantBody: []string{`"model":"m"`},
		},
		"stream ends with done": {
			method: "POST", path: "/v1/chat/completions", body: `{"model":"m","stream":true}`,
			wantStatus: 200, wantType: "text/event-stream",
			wantBody: []string{`data: {"id":"chatcmpl-fake","object":"chat.completion.chunk"`, "word2", "data: [DONE]\n\n"},
		},
		"models": {
			method: "GET", path: "/v1/models", wantStatus: 200, wantType: "application/json",
			wantBody: []string{`"id":"gpt-3.5-turbo"`},
		},
		"bad json": {
			method: "POST", path: "/v1/chat/completions", body: `{`, wantStatus: 400,
			wantType: "application/json", wantBody: []string{"invalid JSON body"},
		},
		"unknown path": {method: "GET", path: "/nope", wantStatus: 404, wantType: "text/plain; charset=utf-8"},
	}
	backend := NewBackend(Config{})
	s := httptest.NewServer(backend)
	defer s.Close()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer sk-seen")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tc.wantStatus, resp.StatusCode, string(b))
			require.Equal(t, tc.wantType, resp.Header.Get("Content-Type"))
			for _, w := range tc.wantBody {
				require.Contains(t, string(b), w)
			}
			last, ok := backend.Last()
			require.True(t, ok)
			require.Equal(t, tc.path, last.Path)
			require.Equal(t, "Bearer sk-seen", last.Header.Get("Authorization"))
			require.Equal(t, tc.body, string(last.Body))
		})
	}
}

func TestStreamGate(t *testing.T) {
	gate := make(chan struct{})
	s := httptest.NewServer(NewBackend(Config{StreamGate: gate, StreamChunks: 2}))
	defer s.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/v1/chat/completions",
		strings.NewReader(`{"stream":true}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, line, "word0")
	close(gate)
	rest, err := io.ReadAll(rd)
	require.NoError(t, err)
	require.Contains(t, string(rest), "word1")
	require.Contains(t, string(rest), "[DONE]")
}

func TestKeepBoundsRecording(t *testing.T) {
	b := NewBackend(Config{Keep: 2})
	for range 3 {
		b.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), "GET", "/v1/models", nil))
	}
	require.Len(t, b.Requests(), 2)
	b.Reset()
	_, ok := b.Last()
	require.False(t, ok)
}

// TestSetAnswer: the answer's text is the pieces', whole or one chunk per piece.
func TestSetAnswer(t *testing.T) {
	b := NewBackend(Config{})
	b.SetAnswer("Card 1234 ", "5678.")
	srv := httptest.NewServer(b)
	defer srv.Close()
	for stream, want := range map[bool][]string{
		false: {`"content":"Card 1234 5678."`},
		true:  {`"content":"Card 1234 "`, `"content":"5678."`, "data: [DONE]"},
	} {
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(fmt.Sprintf(`{"model":"m","stream":%t,"messages":[]}`, stream)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("stream=%t: %s lacks %s", stream, body, w)
			}
		}
	}
}
