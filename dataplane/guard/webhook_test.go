package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/test/fakes/guardrail"
)

// Text that a guard's errors must never carry: a prompt's, an answer's, a header's.
const (
	secretPrompt = "SECRET-PROMPT-7f3a"
	secretHeader = "SECRET-HEADER-91c2"
)

var secretMsgs = []guard.Message{
	{Role: "system", Content: "be brief"},
	{Role: "user", Content: secretPrompt},
}

// startHandler serves h on a loopback port for the test and returns its host and port.
func startHandler(t *testing.T, h http.Handler) (string, uint32) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return splitHostPort(t, srv.Listener.Addr().String())
}

func splitHostPort(t *testing.T, addr string) (string, uint32) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.ParseUint(port, 10, 16)
	require.NoError(t, err)
	return host, uint32(p)
}

func newWebhook(t *testing.T, cfg guard.WebhookConfig) *guard.Webhook {
	t.Helper()
	w, err := guard.NewWebhook(cfg)
	require.NoError(t, err)
	return w
}

// answering is a webhook that answers every call with status and body.
func answering(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// requireCleanError checks that err says where it failed and quotes nothing it saw.
func requireCleanError(t *testing.T, err error, addr, endpoint string, want ...string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "guard: webhook "+addr+": POST "+endpoint+": ")
	for _, w := range want {
		require.Contains(t, msg, w)
	}
	require.NotContains(t, msg, secretPrompt)
	require.NotContains(t, msg, secretHeader)
}

func TestNewWebhookValidates(t *testing.T) {
	tests := map[string]struct {
		cfg  guard.WebhookConfig
		want string
	}{
		"empty host":       {cfg: guard.WebhookConfig{Port: 80}, want: "host is empty"},
		"host with scheme": {cfg: guard.WebhookConfig{Host: "http://a", Port: 80}, want: "without scheme"},
		"host with port":   {cfg: guard.WebhookConfig{Host: "a:8000", Port: 80}, want: "must not include a port"},
		"host with path":   {cfg: guard.WebhookConfig{Host: "a/b", Port: 80}, want: "without scheme, path"},
		"port 0":           {cfg: guard.WebhookConfig{Host: "a", Port: 0}, want: "port 0 is not in 1-65535"},
		"port too large":   {cfg: guard.WebhookConfig{Host: "a", Port: 65536}, want: "port 65536"},
		"negative timeout": {cfg: guard.WebhookConfig{Host: "a", Port: 1, Timeout: -time.Second}, want: "timeout -1s is negative"},
		"invalid regex": {
			cfg: guard.WebhookConfig{Host: "a", Port: 8000, ForwardHeaders: []guard.HeaderMatch{
				{Key: "x-a", Type: guard.MatchExact}, {Key: "(", Type: guard.MatchRegex},
			}},
			want: "guard: webhook a:8000: forwardHeaders[1]: compiling REGEX key",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := guard.NewWebhook(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	for _, host := range []string{"ai-guardrail-webhook.gloo-system.svc.cluster.local", "10.0.0.1", "::1", "[::1]"} {
		_, err := guard.NewWebhook(guard.WebhookConfig{Host: host, Port: 8000})
		require.NoError(t, err, host)
	}
}

// TestWebhookWorkshop runs the guard against the workshop's webhook of lab 10.
func TestWebhookWorkshop(t *testing.T) {
	fake := guardrail.New()
	fake.Start(t)
	w := newWebhook(t, guard.WebhookConfig{Host: fake.Host(), Port: fake.Port()})
	ctx := t.Context()

	v, err := w.CheckRequest(ctx, []guard.Message{{Role: "user", Content: "hello"}}, nil)
	require.NoError(t, err)
	require.Equal(t, guard.Verdict{Action: guard.Pass, Guard: "webhook"}, v)

	v, err = w.CheckRequest(ctx, []guard.Message{{Role: "system", Content: "hi"}, {Role: "user", Content: "please mask this mask"}}, nil)
	require.NoError(t, err)
	require.Equal(t, guard.Verdict{Action: guard.Mask, Guard: "webhook", Messages: []guard.Message{
		{Role: "system", Content: "hi"}, {Role: "user", Content: "please **** this ****"},
	}}, v)

	v, err = w.CheckRequest(ctx, []guard.Message{{Role: "user", Content: "block and mask"}}, nil)
	require.NoError(t, err)
	require.Equal(t, guard.Verdict{Action: guard.Reject, Status: 403, Body: "request blocked", Guard: "webhook"}, v)

	in := []guard.Choice{{Role: "assistant", Content: "plain"}, {Role: "assistant", Content: "a mask"}}
	out, changed, err := w.MaskResponse(ctx, in, nil)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, []guard.Choice{{Role: "assistant", Content: "plain"}, {Role: "assistant", Content: "a ****"}}, out)
	require.Equal(t, "a mask", in[1].Content, "the caller's choices are left alone")

	out, changed, err = w.MaskResponse(ctx, in[:1], nil)
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, in[:1], out)

	calls := fake.Calls()
	require.Len(t, calls, 5)
	require.Equal(t, "/request", calls[1].Path)
	require.Equal(t, []guardrail.Message{{Role: "system", Content: "hi"}, {Role: "user", Content: "please mask this mask"}}, calls[1].Messages)
	require.Equal(t, "/response", calls[3].Path)
	require.Equal(t, []guardrail.Message{{Role: "assistant", Content: "plain"}, {Role: "assistant", Content: "a mask"}}, calls[3].Choices)
	require.Equal(t, "application/json", calls[0].Header.Get("Content-Type"))
}

// TestWebhookWireForm checks the calls' bodies byte for byte.
func TestWebhookWireForm(t *testing.T) {
	bodies := map[string]string{}
	host, port := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies[r.Method+" "+r.URL.Path] = string(b)
		answering(200, `{"action":{"reason":null}}`)(w, r)
	}))
	w := newWebhook(t, guard.WebhookConfig{Host: host, Port: port})
	_, err := w.CheckRequest(t.Context(), nil, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"body":{"messages":[]}}`, bodies["POST /request"])
	_, err = w.CheckRequest(t.Context(), []guard.Message{{Role: "user", Content: "a<b"}}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"body":{"messages":[{"role":"user","content":"a<b"}]}}`, bodies["POST /request"])
	_, _, err = w.MaskResponse(t.Context(), []guard.Choice{{Role: "assistant", Content: "x"}}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"body":{"choices":[{"message":{"role":"assistant","content":"x"}}]}}`, bodies["POST /response"])
}

func TestWebhookCheckRequestAnswers(t *testing.T) {
	tests := map[string]struct {
		status  int
		answer  string
		want    guard.Verdict
		wantErr string
	}{
		"pass":                    {answer: `{"action":{}}`, want: guard.Verdict{Action: guard.Pass}},
		"pass with a reason":      {answer: `{"action":{"reason":"fine"}}`, want: guard.Verdict{Action: guard.Pass}},
		"pass with null fields":   {answer: `{"action":{"body":null,"status_code":null,"reason":null}}`, want: guard.Verdict{Action: guard.Pass}},
		"pass, status 201":        {status: 201, answer: `{"action":{}}`, want: guard.Verdict{Action: guard.Pass}},
		"reject":                  {answer: `{"action":{"body":"no","status_code":451,"reason":"x"}}`, want: guard.Verdict{Action: guard.Reject, Status: 451, Body: "no"}},
		"reject, empty body":      {answer: `{"action":{"body":"","status_code":400}}`, want: guard.Verdict{Action: guard.Reject, Status: 400}},
		"reject, status 200":      {answer: `{"action":{"body":"ok","status_code":200}}`, want: guard.Verdict{Action: guard.Reject, Status: 200, Body: "ok"}},
		"mask":                    {answer: `{"action":{"body":{"messages":[{"role":"system","content":""},{"role":"user","content":"x"}]}}}`, want: guard.Verdict{Action: guard.Mask, Messages: []guard.Message{{Role: "system"}, {Role: "user", Content: "x"}}}},
		"reject, status 1xx":      {answer: `{"action":{"body":"` + secretPrompt + `","status_code":100}}`, wantErr: "reject action's status_code 100 is not in 200-599"},
		"reject, status 600":      {answer: `{"action":{"body":"no","status_code":600}}`, wantErr: "status_code 600 is not in 200-599"},
		"reject, status 0":        {answer: `{"action":{"body":"no","status_code":0}}`, wantErr: "status_code 0 is not in 200-599"},
		"reject, fractional":      {answer: `{"action":{"body":"no","status_code":403.5}}`, wantErr: "status_code (an integer): a value of the wrong JSON type"},
		"reject, status a string": {answer: `{"action":{"body":"no","status_code":"` + secretPrompt + `"}}`, wantErr: "a value of the wrong JSON type"},
		"reject without status":   {answer: `{"action":{"body":"` + secretPrompt + `"}}`, wantErr: "string body but no status_code"},
		"status without body":     {answer: `{"action":{"status_code":403}}`, wantErr: "status_code but no body"},
		"body a number":           {answer: `{"action":{"body":42}}`, wantErr: "neither a string (reject) nor an object (mask)"},
		"body an array":           {answer: `{"action":{"body":[]}}`, wantErr: "neither a string"},
		"mask, fewer messages":    {answer: `{"action":{"body":{"messages":[{"role":"user","content":"` + secretPrompt + `"}]}}}`, wantErr: "mask action's body has 1 messages for the 2 sent"},
		"mask, more messages":     {answer: `{"action":{"body":{"messages":[{"role":"a","content":"b"},{"role":"a","content":"b"},{"role":"a","content":"b"}]}}}`, wantErr: "has 3 messages for the 2 sent"},
		"mask without messages":   {answer: `{"action":{"body":{}}}`, wantErr: "mask action's body has no messages"},
		"mask, no content":        {answer: `{"action":{"body":{"messages":[{"role":"a","content":"b"},{"role":"user"}]}}}`, wantErr: "messages[1] lacks its role or content"},
		"mask, content a number":  {answer: `{"action":{"body":{"messages":[{"role":"a","content":"b"},{"role":"user","content":7}]}}}`, wantErr: "mask action's body: a value of the wrong JSON type (at messages.content)"},
		"mask, choices":           {answer: `{"action":{"body":{"choices":[]}}}`, wantErr: "has no messages"},
		"no action":               {answer: `{"reason":"x"}`, wantErr: "answer has no action"},
		"null action":             {answer: `{"action":null}`, wantErr: "answer has no action"},
		"action a string":         {answer: `{"action":"` + secretPrompt + `"}`, wantErr: "action: a value of the wrong JSON type"},
		"answer an array":         {answer: `[1]`, wantErr: "answer: a value of the wrong JSON type"},
		"not JSON":                {answer: secretPrompt, wantErr: "answer: not valid JSON (at byte 1)"},
		"truncated":               {answer: `{"action":{"body":"` + secretPrompt, wantErr: "answer: not valid JSON"},
		"trailing data":           {answer: `{"action":{}} ` + secretPrompt, wantErr: "answer: not valid JSON"},
		"empty answer":            {answer: ``, wantErr: "answer: not valid JSON"},
		"no content, 204":         {status: 204, wantErr: "answer: not valid JSON"},
		"422":                     {status: 422, answer: `{"detail":[{"loc":["body"],"msg":"bad","input":"` + secretPrompt + `"}]}`, wantErr: "webhook found the call invalid (status 422)"},
		"500":                     {status: 500, answer: secretPrompt, wantErr: "answer has status 500"},
		"404":                     {status: 404, answer: `{"action":{}}`, wantErr: "answer has status 404"},
		"oversized":               {answer: `{"action":{"reason":"` + strings.Repeat("x", 1<<20) + `"}}`, wantErr: "answer is longer than 1048576 bytes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			host, port := startHandler(t, answering(status, tc.answer))
			w := newWebhook(t, guard.WebhookConfig{Host: host, Port: port})
			v, err := w.CheckRequest(t.Context(), secretMsgs, nil)
			if tc.wantErr != "" {
				requireCleanError(t, err, net.JoinHostPort(host, strconv.Itoa(int(port))), "/request", tc.wantErr)
				require.Equal(t, guard.Verdict{}, v)
				return
			}
			require.NoError(t, err)
			tc.want.Guard = "webhook"
			require.Equal(t, tc.want, v)
		})
	}
}

func TestWebhookMaskResponseAnswers(t *testing.T) {
	in := []guard.Choice{{Role: "assistant", Content: secretPrompt}}
	tests := map[string]struct {
		answer      string
		want        []guard.Choice
		wantChanged bool
		wantErr     string
	}{
		"pass":                    {answer: `{"action":{"reason":"ok"}}`, want: in},
		"mask":                    {answer: `{"action":{"body":{"choices":[{"message":{"role":"assistant","content":""}}]}}}`, want: []guard.Choice{{Role: "assistant"}}, wantChanged: true},
		"mask, nothing different": {answer: `{"action":{"body":{"choices":[{"message":{"role":"assistant","content":"` + secretPrompt + `"}}]}}}`, want: in},
		"reject":                  {answer: `{"action":{"body":"no","status_code":403}}`, wantErr: "answer is a reject action, which /response does not allow"},
		"mask, two choices":       {answer: `{"action":{"body":{"choices":[{"message":{"role":"a","content":"b"}},{"message":{"role":"a","content":"b"}}]}}}`, wantErr: "has 2 choices for the 1 sent"},
		"mask without choices":    {answer: `{"action":{"body":{"messages":[]}}}`, wantErr: "has no choices"},
		"mask, no message":        {answer: `{"action":{"body":{"choices":[{}]}}}`, wantErr: "choices[0] lacks its message's role or content"},
		"mask, no role":           {answer: `{"action":{"body":{"choices":[{"message":{"content":"x"}}]}}}`, wantErr: "choices[0] lacks"},
		"malformed":               {answer: `{"action":` + secretPrompt, wantErr: "answer: not valid JSON"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			host, port := startHandler(t, answering(http.StatusOK, tc.answer))
			w := newWebhook(t, guard.WebhookConfig{Host: host, Port: port})
			out, changed, err := w.MaskResponse(t.Context(), in, nil)
			if tc.wantErr != "" {
				requireCleanError(t, err, net.JoinHostPort(host, strconv.Itoa(int(port))), "/response", tc.wantErr)
				require.Nil(t, out)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, out)
			require.Equal(t, tc.wantChanged, changed)
		})
	}
}

func TestWebhookFailures(t *testing.T) {
	fake := guardrail.New()
	fake.Start(t)
	addr := net.JoinHostPort(fake.Host(), strconv.Itoa(int(fake.Port())))
	w := newWebhook(t, guard.WebhookConfig{Host: fake.Host(), Port: fake.Port(), Timeout: 50 * time.Millisecond})

	fake.Fail(guardrail.Hang)
	_, err := w.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanError(t, err, addr, "/request", "sending the call: no answer within 50ms")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = w.MaskResponse(ctx, []guard.Choice{{Role: "assistant", Content: secretPrompt}}, nil)
	requireCleanError(t, err, addr, "/response", "sending the call: context canceled")
	require.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	long := newWebhook(t, guard.WebhookConfig{Host: fake.Host(), Port: fake.Port(), Timeout: time.Minute})
	_, err = long.CheckRequest(ctx, secretMsgs, nil)
	requireCleanError(t, err, addr, "/request", "sending the call: context deadline exceeded")
	require.NotContains(t, err.Error(), "no answer within", "the caller's deadline is not the guard's timeout")

	fake.Fail(guardrail.InternalError)
	_, err = w.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanError(t, err, addr, "/request", "answer has status 500")

	fake.Fail(guardrail.Malformed)
	_, _, err = w.MaskResponse(t.Context(), []guard.Choice{{Role: "assistant", Content: secretPrompt}}, nil)
	requireCleanError(t, err, addr, "/response", "answer: not valid JSON")

	fake.Fail(guardrail.Healthy)
	v, err := w.CheckRequest(t.Context(), secretMsgs, nil)
	require.NoError(t, err)
	require.Equal(t, guard.Pass, v.Action)
}

func TestWebhookConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host, port := splitHostPort(t, l.Addr().String())
	require.NoError(t, l.Close())
	w := newWebhook(t, guard.WebhookConfig{Host: host, Port: port})
	_, err = w.CheckRequest(t.Context(), secretMsgs, nil)
	requireCleanError(t, err, l.Addr().String(), "/request", "sending the call: dial tcp", "connection refused")
	var ue *url.Error
	require.False(t, errors.As(err, &ue), "the URL is not repeated")
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	other := guardrail.New()
	other.Start(t)
	host, port := startHandler(t, http.RedirectHandler(other.URL()+"/request", http.StatusTemporaryRedirect))
	w := newWebhook(t, guard.WebhookConfig{Host: host, Port: port})
	_, err := w.CheckRequest(t.Context(), secretMsgs, http.Header{"X-User": {secretHeader}})
	requireCleanError(t, err, net.JoinHostPort(host, strconv.Itoa(int(port))), "/request", "answer has status 307")
	require.Empty(t, other.Calls())
}

func TestWebhookForwardsHeaders(t *testing.T) {
	fake := guardrail.New()
	fake.Start(t)
	w := newWebhook(t, guard.WebhookConfig{Host: fake.Host(), Port: fake.Port(), ForwardHeaders: []guard.HeaderMatch{
		{Key: "x-user-id", Type: guard.MatchExact},
		{Key: "x-team-", Type: guard.MatchPrefix},
		{Key: ".*", Type: guard.MatchRegex},
	}})
	client := http.Header{
		"X-User-Id":      {"alice"},
		"X-Team-Name":    {"red", "blue"},
		"Authorization":  {"Bearer " + secretHeader},
		"Cookie":         {"s=" + secretHeader},
		"Content-Type":   {"text/plain"},
		"Content-Length": {"99999"},
		"Accept":         {"text/html"},
	}
	_, err := w.CheckRequest(t.Context(), []guard.Message{{Role: "user", Content: "hi"}}, client)
	require.NoError(t, err)
	_, _, err = w.MaskResponse(t.Context(), []guard.Choice{{Role: "assistant", Content: "hi"}}, client)
	require.NoError(t, err)

	calls := fake.Calls()
	require.Len(t, calls, 2)
	for _, c := range calls {
		require.Equal(t, []string{"alice"}, c.Header.Values("X-User-Id"), c.Path)
		require.Equal(t, []string{"red", "blue"}, c.Header.Values("X-Team-Name"), c.Path)
		require.Empty(t, c.Header.Values("Authorization"), c.Path)
		require.Empty(t, c.Header.Values("Cookie"), c.Path)
		require.Equal(t, "application/json", c.Header.Get("Content-Type"), c.Path)
		require.Equal(t, "application/json", c.Header.Get("Accept"), c.Path)
	}
	require.Equal(t, []string{"Bearer " + secretHeader}, client.Values("Authorization"), "the client's header is left alone")

	none := newWebhook(t, guard.WebhookConfig{Host: fake.Host(), Port: fake.Port()})
	fake.Reset()
	_, err = none.CheckRequest(t.Context(), []guard.Message{{Role: "user", Content: "hi"}}, client)
	require.NoError(t, err)
	require.Empty(t, fake.Calls()[0].Header.Values("X-User-Id"), "no forwardHeaders, no client header")
}

// TestWebhookConcurrent runs calls in parallel, for the race detector.
func TestWebhookConcurrent(t *testing.T) {
	fake := guardrail.New()
	fake.Start(t)
	w := newWebhook(t, guard.WebhookConfig{Host: fake.Host(), Port: fake.Port()})
	errs := make(chan error, 16)
	for i := range cap(errs) {
		go func() {
			msgs := []guard.Message{{Role: "user", Content: "mask " + strconv.Itoa(i)}}
			v, err := w.CheckRequest(t.Context(), msgs, nil)
			if err == nil && (v.Action != guard.Mask || v.Messages[0].Content != "**** "+strconv.Itoa(i)) {
				err = errors.New("wrong verdict")
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		require.NoError(t, <-errs)
	}
}

// The JSON decoder's error stays reachable, though its text is not printed.
func TestWebhookKeepsDecoderError(t *testing.T) {
	host, port := startHandler(t, answering(200, `{"action":`+secretPrompt))
	w := newWebhook(t, guard.WebhookConfig{Host: host, Port: port})
	_, err := w.CheckRequest(t.Context(), nil, nil)
	var se *json.SyntaxError
	require.ErrorAs(t, err, &se)
}

func itoa(p uint32) string { return strconv.FormatUint(uint64(p), 10) }

// answerTransport answers every call in process with status 200 and the body it holds.
type answerTransport struct{ body string }

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_ = r.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(a.body)),
		Request:    r,
	}, nil
}

// FuzzWebhookAnswer feeds any answer to both endpoints: a decision always follows the
// contract's rules, and an error never quotes the prompt or the answer.
func FuzzWebhookAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"action":{}}`,
		`{"action":{"body":"` + secretPrompt + `","status_code":403}}`,
		`{"action":{"body":{"messages":[{"role":"a","content":"` + secretPrompt + `"},{"role":"b","content":""}]}}}`,
		`{"action":{"body":{"choices":[{"message":{"role":"a","content":"` + secretPrompt + `"}}]}}}`,
		`{"action":{"body":` + secretPrompt + `}}`,
		`{"action":{"status_code":"` + secretPrompt + `"}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		w, err := guard.NewWebhook(guard.WebhookConfig{Host: "webhook", Port: 8000, Transport: answerTransport{body: answer}})
		require.NoError(t, err)
		clean := func(err error) {
			if err != nil && strings.Contains(answer, secretPrompt) {
				require.NotContains(t, err.Error(), secretPrompt)
			}
		}
		v, err := w.CheckRequest(t.Context(), secretMsgs, nil)
		clean(err)
		switch {
		case err != nil:
		case v.Action == guard.Mask:
			require.Len(t, v.Messages, len(secretMsgs))
		case v.Action == guard.Reject:
			require.True(t, v.Status >= 200 && v.Status <= 599, "status %d", v.Status)
		}
		in := []guard.Choice{{Role: "assistant", Content: secretPrompt}}
		out, _, err := w.MaskResponse(t.Context(), in, nil)
		clean(err)
		if err == nil {
			require.Len(t, out, len(in))
		}
	})
}

func BenchmarkWebhookCheckRequest(b *testing.B) {
	fake := guardrail.New()
	fake.Start(b)
	w, err := guard.NewWebhook(guard.WebhookConfig{Host: fake.Host(), Port: fake.Port()})
	require.NoError(b, err)
	msgs := []guard.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "what is a mask?"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.CheckRequest(b.Context(), msgs, nil); err != nil {
			b.Fatal(err)
		}
		fake.Reset()
	}
}

// A webhook guard against the workshop's webhook: a prompt is rejected, an answer
// masked.
func ExampleWebhook() {
	srv := httptest.NewServer(guardrail.New())
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.ParseUint(port, 10, 16)

	w, err := guard.NewWebhook(guard.WebhookConfig{
		Host:           host,
		Port:           uint32(p),
		ForwardHeaders: []guard.HeaderMatch{{Key: "x-user-", Type: guard.MatchPrefix}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	client := http.Header{"X-User-Id": {"alice"}}

	v, err := w.CheckRequest(context.Background(), []guard.Message{{Role: "user", Content: "please block this"}}, client)
	fmt.Println(v.Action == guard.Reject, v.Status, v.Body, err)

	out, changed, err := w.MaskResponse(context.Background(), []guard.Choice{{Role: "assistant", Content: "a mask"}}, client)
	fmt.Println(out[0].Content, changed, err)
	// Output:
	// true 403 request blocked <nil>
	// a **** true <nil>
}
