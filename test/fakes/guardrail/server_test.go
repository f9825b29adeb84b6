package guardrail_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakes/guardrail"
)

func post(t *testing.T, ctx context.Context, url, body string, h http.Header) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), nil
}

func TestServerRules(t *testing.T) {
	s := guardrail.New()
	s.Start(t)
	tests := map[string]struct {
		path, body string
		status     int
		answer     string
	}{
		"pass": {
			path: "/request", body: `{"body":{"messages":[{"role":"user","content":"hello"}]}}`,
			status: 200, answer: `{"action":{"reason":"no match"}}`,
		},
		"reject": {
			path: "/request", body: `{"body":{"messages":[{"role":"system","content":"mask"},{"role":"user","content":"please block"}]}}`,
			status: 200, answer: `{"action":{"body":"request blocked","status_code":403,"reason":"blocked word"}}`,
		},
		"mask the prompt": {
			path: "/request", body: `{"body":{"messages":[{"role":"system","content":"x"},{"role":"user","content":"mask me, masked"}]}}`,
			status: 200, answer: `{"action":{"body":{"messages":[{"role":"system","content":"x"},{"role":"user","content":"**** me, ****ed"}]},"reason":"masked word"}}`,
		},
		"pass the answer": {
			path: "/response", body: `{"body":{"choices":[{"message":{"role":"assistant","content":"block"}}]}}`,
			status: 200, answer: `{"action":{"reason":"no match"}}`,
		},
		"mask the answer": {
			path: "/response", body: `{"body":{"choices":[{"message":{"role":"assistant","content":"a mask"}},{"message":{"role":"assistant","content":"b"}}]}}`,
			status: 200, answer: `{"action":{"body":{"choices":[{"message":{"role":"assistant","content":"a ****"}},{"message":{"role":"assistant","content":"b"}}]},"reason":"masked word"}}`,
		},
		"a prompt without messages": {path: "/request", body: `{"body":{}}`, status: 422},
		"an answer without choices": {path: "/response", body: `{"body":{"messages":[]}}`, status: 422},
		"not JSON":                  {path: "/request", body: `{`, status: 422},
		"unknown path":              {path: "/other", body: `{}`, status: 404},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status, answer, err := post(t, t.Context(), s.URL()+tc.path, tc.body, nil)
			require.NoError(t, err)
			require.Equal(t, tc.status, status)
			if tc.answer != "" {
				require.JSONEq(t, tc.answer, answer)
			}
		})
	}
	resp, err := http.Get(s.URL() + "/request")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestServerRecords(t *testing.T) {
	s := guardrail.New()
	s.Start(t)
	require.Equal(t, s.URL(), "http://"+net.JoinHostPort(s.Host(), strconv.Itoa(int(s.Port()))))

	_, _, err := post(t, t.Context(), s.URL()+"/request", `{"body":{"messages":[{"role":"user","content":"hi"}]}}`, http.Header{"X-User-Id": {"alice"}})
	require.NoError(t, err)
	_, _, err = post(t, t.Context(), s.URL()+"/response", `{"body":{"choices":[{"message":{"role":"assistant","content":"yo"}}]}}`, nil)
	require.NoError(t, err)
	_, _, err = post(t, t.Context(), s.URL()+"/request", `{`, nil)
	require.NoError(t, err)

	calls := s.Calls()
	require.Len(t, calls, 2, "a call that cannot be decoded is not recorded")
	require.Equal(t, "/request", calls[0].Path)
	require.Equal(t, []guardrail.Message{{Role: "user", Content: "hi"}}, calls[0].Messages)
	require.Equal(t, "alice", calls[0].Header.Get("X-User-Id"))
	require.Equal(t, []guardrail.Message{{Role: "assistant", Content: "yo"}}, s.CallsTo("/response")[0].Choices)
	s.Reset()
	require.Empty(t, s.Calls())
}

func TestServerFailures(t *testing.T) {
	s := guardrail.New()
	s.Start(t)
	body := `{"body":{"messages":[]}}`

	s.Fail(guardrail.InternalError)
	status, _, err := post(t, t.Context(), s.URL()+"/request", body, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusInternalServerError, status)

	s.Fail(guardrail.Malformed)
	status, answer, err := post(t, t.Context(), s.URL()+"/request", body, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, `{"action": {"body": `, answer)

	s.Fail(guardrail.Hang)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, _, err = post(t, ctx, s.URL()+"/request", body, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, s.Calls(), 3, "failed calls are recorded")

	s.Fail(guardrail.Healthy)
	status, _, err = post(t, t.Context(), s.URL()+"/request", body, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
}

// Close releases a held call rather than waiting for its client.
func TestServerCloseReleasesHang(t *testing.T) {
	s := guardrail.New()
	s.Start(t)
	s.Fail(guardrail.Hang)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/request", strings.NewReader(`{"body":{"messages":[]}}`))
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return len(s.Calls()) == 1 }, 5*time.Second, 5*time.Millisecond)
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the held call was not released")
	}
}
