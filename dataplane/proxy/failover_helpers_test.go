package proxy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// failingLLM is the fake LLM backend in front of which a test commands failures: a
// request for a model it was told to fail (or for any model, "*") gets that status and
// a JSON error naming the model; others get the fake's answer. It records every
// request's model and headers.
type failingLLM struct {
	srv     *httptest.Server
	fake    *fakellm.Backend // what answers the requests it does not fail
	mu      sync.Mutex
	failing map[string]int
	got     []gotRequest
}

type gotRequest struct {
	model  string
	body   string
	path   string
	header http.Header
}

func newFailingLLM(t *testing.T) *failingLLM {
	t.Helper()
	fake := fakellm.New(fakellm.Config{Keep: -1})
	b := &failingLLM{failing: map[string]int{}, fake: fake.Backend}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		b.mu.Lock()
		b.got = append(b.got, gotRequest{model: req.Model, body: string(body), path: r.URL.Path, header: r.Header.Clone()})
		code, ok := b.failing[req.Model]
		if !ok {
			code = b.failing["*"]
		}
		b.mu.Unlock()
		if code != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"error":{"message":"%d for %s"}}`, code, req.Model)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// fail makes requests for model (or "*") answer code; 0 stops failing them.
func (b *failingLLM) fail(model string, code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if code == 0 {
		delete(b.failing, model)
		return
	}
	b.failing[model] = code
}

func (b *failingLLM) requests() []gotRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]gotRequest(nil), b.got...)
}

// bodies are the bodies of the requests received, in order.
func (b *failingLLM) bodies() []string {
	var out []string
	for _, r := range b.requests() {
		out = append(out, r.body)
	}
	return out
}

// models are the models of the requests received, in order.
func (b *failingLLM) models() []string {
	var out []string
	for _, r := range b.requests() {
		out = append(out, r.model)
	}
	return out
}

// endpoint is the backend's address as a snapshot endpoint.
func (b *failingLLM) endpoint(t *testing.T) *snapshotv1.Endpoint {
	t.Helper()
	host, p, err := net.SplitHostPort(b.srv.Listener.Addr().String())
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return &snapshotv1.Endpoint{Host: host, Port: uint32(port)}
}

// openaiMember is an OpenAI member at b with its own model and key.
func openaiMember(t *testing.T, b *failingLLM, model, key string) *snapshotv1.LlmUpstream {
	return &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, Model: model, AuthToken: key, Endpoint: b.endpoint(t)}
}

// lab7Retry is lab 7's RouteOption retries: a 429 is retried twice, each retry at the
// next priority.
func lab7Retry() *snapshotv1.RetryPolicy {
	return &snapshotv1.RetryPolicy{
		RetryOn: []string{"retriable-status-codes"}, RetriableStatusCodes: []uint32{429}, NumRetries: 2,
		PreviousPriorities: true, BaseInterval: durationpb.New(time.Millisecond),
	}
}

// failoverRoute serves the tutorial's route in front of a failover upstream of these
// priorities, with retry (nil for none).
func failoverRoute(t *testing.T, h *harness, retry *snapshotv1.RetryPolicy, priorities ...[]*snapshotv1.LlmUpstream) {
	t.Helper()
	s := tutorial(t, h.port, "127.0.0.1:1", false, false)
	f := &snapshotv1.FailoverUpstream{}
	for _, pool := range priorities {
		f.Priorities = append(f.Priorities, &snapshotv1.FailoverPriority{Pool: pool})
	}
	s.Upstreams[0].Kind = &snapshotv1.Upstream_Failover{Failover: f}
	s.Listeners[0].VirtualHosts[0].Routes[0].Retry = retry
	h.apply(s, false)
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// failoverChat is a chat request asking for model.
func failoverChat(model string, stream bool) string {
	return fmt.Sprintf(`{"model":%q,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
}
