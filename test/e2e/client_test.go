package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

// answer is what a client of the gateway sees.
type answer struct {
	status int
	body   string
	header http.Header
}

func (a answer) String() string { return fmt.Sprintf("%d %q", a.status, a.body) }

func token(t *testing.T, who string) string {
	t.Helper()
	b, err := os.ReadFile(stack.Sample("tokens/" + who + ".jwt"))
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// chat sends the tutorial's request to /openai, with the token when one is given.
func chat(t *testing.T, tok string) answer {
	t.Helper()
	return postTo(t, gatewayURL(), tok, sampleRequest(t))
}

func sampleRequest(t *testing.T) []byte {
	t.Helper()
	body, err := os.ReadFile(stack.Sample("request.json"))
	require.NoError(t, err)
	return body
}

// postTo sends body as JSON to base's /openai, with the token when one is given; a
// request that gets no answer is an answer of status 0 whose body is the error.
func postTo(t *testing.T, base, tok string, body []byte) answer {
	t.Helper()
	return postURL(t, base+"/openai", tok, body)
}

// postURL sends body as JSON to url, as postTo does.
func postURL(t *testing.T, url, tok string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return answer{status: 0, body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// pollUntil sends until done holds for the answer, for at most 20 seconds, and returns
// that answer; what says what was awaited.
func pollUntil(t *testing.T, what string, send func() answer, done func(answer) bool) answer {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a := send()
		if done(a) {
			return a
		}
		require.True(t, time.Now().Before(deadline), "after 20s still %s, want %s", a, what)
		sleepPoll()
	}
}

func gatewayURL() string { return "http://127.0.0.1:" + strconv.Itoa(gatewayPort) }

// eventually polls chat until its answer has the wanted status and returns the answer
// and how long the change took to be enforced.
func eventually(t *testing.T, tok string, status int) (answer, time.Duration) {
	t.Helper()
	start := time.Now()
	var last answer
	for time.Since(start) < 20*time.Second {
		last = chat(t, tok)
		if last.status == status {
			return last, time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("after 20s the gateway still answers %s, want status %d", last, status)
	return last, 0
}

// apply applies a sample with the Gateway's port and the fake LLM's address of this run.
func apply(t *testing.T, name string) {
	t.Helper()
	raw, err := os.ReadFile(stack.Sample(name))
	require.NoError(t, err)
	_, llmPort, _ := strings.Cut(st.FakeLLMAddr, ":")
	s := strings.ReplaceAll(string(raw), "port: 8080", "port: "+strconv.Itoa(gatewayPort))
	s = strings.ReplaceAll(s, "port: 18090", "port: "+llmPort)
	path := filepath.Join(st.Dir, "applied-"+name)
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
	out, err := st.Kubectl("apply", "-f", path)
	require.NoError(t, err, out)
}

// jwtProvider applies the tutorial's JWT provider (step 20) for the test, and deletes it
// when the test ends, so that later tests start without it.
func jwtProvider(t *testing.T) {
	t.Helper()
	apply(t, "20-jwt-provider.yaml")
	t.Cleanup(func() {
		_, _ = st.Kubectl("delete", "virtualhostoption", "jwt-provider", "-n", "gloo-system", "--ignore-not-found")
	})
}

func kubectl(t *testing.T, args ...string) {
	t.Helper()
	out, err := st.Kubectl(args...)
	require.NoError(t, err, out)
}

// setup applies the tutorial's prerequisites, starts the proxy when none runs, and waits
// until the Gateway is Programmed. It is idempotent, so each test can start with it.
func setup(t *testing.T) {
	t.Helper()
	require.NoError(t, st.ApplyGatewayClass())
	apply(t, "00-gateway.yaml")
	apply(t, "10-openai-backend.yaml")
	if st.Proxy == nil {
		require.NoError(t, st.StartProxy(gatewayPort))
	} else if exited, _ := st.Proxy.Exited(); exited {
		require.NoError(t, st.StartProxy(gatewayPort))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, st.WaitProgrammed(ctx), "the Gateway turns Programmed once the proxy acknowledges")
}

// sleepPoll is the pause between two polls of the gateway.
func sleepPoll() { time.Sleep(50 * time.Millisecond) }
