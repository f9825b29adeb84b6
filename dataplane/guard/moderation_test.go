package guard_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/test/fakes/moderation"
)

const secretKey = "sk-SECRET-KEY-4d1e"

// requireCleanModerationError checks that err says where it failed and quotes neither
// the prompt nor the key.
func requireCleanModerationError(t *testing.T, err error, where string, want ...string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "guard: moderation "+where)
	for _, w := range want {
		require.Contains(t, msg, w)
	}
	require.NotContains(t, msg, secretPrompt)
	require.NotContains(t, msg, secretKey)
}

func newModeration(t *testing.T, cfg guard.ModerationConfig) *guard.Moderation {
	t.Helper()
	m, err := guard.NewModeration(cfg)
	require.NoError(t, err)
	return m
}

func TestNewModerationValidates(t *testing.T) {
	tests := map[string]struct {
		cfg  guard.ModerationConfig
		want string
	}{
		"no key":           {cfg: guard.ModerationConfig{}, want: "guard: moderation api.openai.com: the API key is empty"},
		"key with newline": {cfg: guard.ModerationConfig{APIKey: secretKey + "\n"}, want: "holds a line break"},
		"scheme":           {cfg: guard.ModerationConfig{APIKey: secretKey, BaseURL: "ftp://a"}, want: "scheme must be http or https"},
		"no host":          {cfg: guard.ModerationConfig{APIKey: secretKey, BaseURL: "https://"}, want: "no host"},
		"userinfo":         {cfg: guard.ModerationConfig{APIKey: secretKey, BaseURL: "https://u:" + secretKey + "@a"}, want: "credentials belong in the API key"},
		"query":            {cfg: guard.ModerationConfig{APIKey: secretKey, BaseURL: "https://a/?k=1"}, want: "no query or fragment"},
		"not a URL":        {cfg: guard.ModerationConfig{APIKey: secretKey, BaseURL: "https://a b\x7f"}, want: "not a URL"},
		"negative timeout": {cfg: guard.ModerationConfig{APIKey: secretKey, Timeout: -1}, want: "timeout -1ns is negative"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := guard.NewModeration(tc.cfg)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), secretKey)
		})
	}
	_, err := guard.NewModeration(guard.ModerationConfig{APIKey: secretKey})
	require.NoError(t, err)
}

func TestModerationCheckRequest(t *testing.T) {
	fake := moderation.New()
	fake.RequireKey(secretKey)
	fake.Start(t)
	m := newModeration(t, guard.ModerationConfig{APIKey: secretKey, BaseURL: fake.URL()})
	client := http.Header{"X-User-Id": {"alice"}, "Authorization": {"Bearer client"}}

	v, err := m.CheckRequest(t.Context(), []guard.Message{{Role: "system", Content: "be kind"}, {Role: "user"}, {Role: "user", Content: "hello"}}, client)
	require.NoError(t, err)
	require.Equal(t, guard.Verdict{Action: guard.Pass, Guard: "moderation"}, v)

	v, err = m.CheckRequest(t.Context(), []guard.Message{{Role: "user", Content: "fine"}, {Role: "user", Content: "a violent one"}}, client)
	require.NoError(t, err)
	require.Equal(t, guard.Verdict{Action: guard.Reject, Guard: "moderation"}, v, "status and body are the route's")

	calls := fake.Calls()
	require.Len(t, calls, 2)
	require.Equal(t, "omni-moderation-latest", calls[0].Model)
	require.Equal(t, []string{"be kind", "hello"}, calls[0].Input, "empty texts are not sent")
	require.Equal(t, "Bearer "+secretKey, calls[0].Header.Get("Authorization"))
	require.Empty(t, calls[0].Header.Get("X-User-Id"), "no client header is sent")

	fake.Reset()
	v, err = m.CheckRequest(t.Context(), []guard.Message{{Role: "user"}}, nil)
	require.NoError(t, err)
	require.Equal(t, guard.Pass, v.Action)
	require.Empty(t, fake.Calls(), "no text, no call")
}

// TestModerationPassthrough: with passthrough the client's own Authorization is sent;
// a prompt without one is rejected (401) before any call.
func TestModerationPassthrough(t *testing.T) {
	fake := moderation.New()
	fake.RequireKey("client-key")
	fake.Start(t)
	m := newModeration(t, guard.ModerationConfig{Passthrough: true, BaseURL: fake.URL()})
	msgs := []guard.Message{{Role: "user", Content: "a violent one"}}

	v, err := m.CheckRequest(t.Context(), msgs, http.Header{"Authorization": {"Bearer client-key"}})
	require.NoError(t, err)
	require.Equal(t, guard.Reject, v.Action)
	require.Zero(t, v.Status, "a flagged prompt gets the route's answer")
	require.Equal(t, "Bearer client-key", fake.Calls()[0].Header.Get("Authorization"))

	fake.Reset()
	v, err = m.CheckRequest(t.Context(), msgs, http.Header{})
	require.NoError(t, err)
	require.Equal(t, guard.Verdict{Action: guard.Reject, Status: http.StatusUnauthorized, Body: "the moderation guard passes the client's key on: the request has no Authorization header", Guard: "moderation"}, v)
	require.Empty(t, fake.Calls())
}

func TestModerationModelAndPath(t *testing.T) {
	var path, body string
	host, port := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		path, body = r.URL.Path, string(b)
		answering(200, `{"results":[{"flagged":false}]}`)(w, r)
	}))
	base := "http://" + host + ":" + itoa(port) + "/openai/"
	m := newModeration(t, guard.ModerationConfig{APIKey: secretKey, BaseURL: base, Model: "text-moderation-stable"})
	_, err := m.CheckRequest(t.Context(), []guard.Message{{Role: "user", Content: "hi"}}, nil)
	require.NoError(t, err)
	require.Equal(t, "/openai/v1/moderations", path)
	require.JSONEq(t, `{"model":"text-moderation-stable","input":["hi"]}`, body)
}

func TestModerationAnswers(t *testing.T) {
	tests := map[string]struct {
		status  int
		answer  string
		want    guard.Action
		wantErr string
	}{
		"none flagged":     {answer: `{"id":"m","results":[{"flagged":false},{"flagged":false}]}`, want: guard.Pass},
		"one flagged":      {answer: `{"results":[{"flagged":false},{"flagged":true,"categories":{"hate":true}}]}`, want: guard.Reject},
		"too few results":  {answer: `{"results":[{"flagged":false}]}`, wantErr: "answer has 1 results for the 2 inputs sent"},
		"no results":       {answer: `{"id":"m"}`, wantErr: "answer has no results"},
		"no flagged":       {answer: `{"results":[{"flagged":false},{"categories":{}}]}`, wantErr: "results[1] has no flagged verdict"},
		"flagged a string": {answer: `{"results":[{"flagged":"` + secretPrompt + `"},{"flagged":true}]}`, wantErr: "answer: a value of the wrong JSON type (at results.flagged)"},
		"malformed":        {answer: `{"results":` + secretPrompt, wantErr: "answer: not valid JSON"},
		"401":              {status: 401, answer: `{"error":{"message":"Incorrect API key provided: ` + secretKey + `"}}`, wantErr: "answer has status 401 (the API key was refused)"},
		"429":              {status: 429, answer: `{}`, wantErr: "answer has status 429 (rate limited)"},
		"404":              {status: 404, answer: `{}`, wantErr: "answer has status 404 (unknown endpoint or model)"},
		"500":              {status: 500, answer: secretPrompt, wantErr: "answer has status 500"},
		"oversized":        {answer: `{"id":"` + strings.Repeat("x", 4<<20) + `"}`, wantErr: "answer is longer than 4194304 bytes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			host, port := startHandler(t, answering(status, tc.answer))
			where := host + ":" + itoa(port)
			m := newModeration(t, guard.ModerationConfig{APIKey: secretKey, BaseURL: "http://" + where})
			v, err := m.CheckRequest(t.Context(), secretMsgs, nil)
			if tc.wantErr != "" {
				requireCleanModerationError(t, err, where+": POST /v1/moderations: ", tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, v.Action)
		})
	}
}

func TestModerationFailures(t *testing.T) {
	fake := moderation.New()
	fake.RequireKey("another key")
	fake.Start(t)
	where := strings.TrimPrefix(fake.URL(), "http://") + ": POST /v1/moderations: "
	m := newModeration(t, guard.ModerationConfig{APIKey: secretKey, BaseURL: fake.URL(), Timeout: 50 * time.Millisecond})

	_, err := m.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanModerationError(t, err, where, "answer has status 401")

	fake.Fail(moderation.Hang)
	_, err = m.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanModerationError(t, err, where, "no answer within 50ms")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	fake.Fail(moderation.InternalError)
	_, err = m.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanModerationError(t, err, where, "answer has status 500")

	fake.Fail(moderation.Malformed)
	_, err = m.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanModerationError(t, err, where, "answer: not valid JSON")
}
