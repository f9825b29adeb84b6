package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rateLimitedLLM is lab 7's model-failover service: it answers 429 to every request
// and records the model each asked for.
type rateLimitedLLM struct {
	mu     sync.Mutex
	models []string
	keys   []string
}

func (l *rateLimitedLLM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model string `json:"model"`
	}
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &body)
	l.mu.Lock()
	l.models = append(l.models, body.Model)
	l.keys = append(l.keys, r.Header.Get("Authorization"))
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprintf(w, `{"error":{"message":"rate limited: %s"}}`, body.Model)
}

// take returns the models and keys received so far, and forgets them.
func (l *rateLimitedLLM) take() (models, keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	models, keys, l.models, l.keys = l.models, l.keys, nil, nil
	return models, keys
}

// TestLab7ModelFailover applies lab 7 as the workshop writes it, its customHost pointed
// at a local service answering 429 to everything: that service receives three
// requests, for gpt-4o, gpt-4.0-turbo and gpt-3.5-turbo in turn, and the client gets
// the last 429. The Upstream is Accepted.
func TestLab7ModelFailover(t *testing.T) {
	kubectl(t, "delete", "routeoption,virtualhostoption", "--all", "-n", "gloo-system", "--ignore-not-found")
	setup(t)
	llm := &rateLimitedLLM{}
	srv := httptest.NewServer(llm)
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	raw, err := os.ReadFile(labFile(t, "lab7-model-failover.yaml"))
	require.NoError(t, err)
	lab := strings.ReplaceAll(string(raw), "host: model-failover.gloo-system.svc.cluster.local", "host: 127.0.0.1")
	lab = strings.ReplaceAll(lab, "port: 80\n", "port: "+port+"\n")
	require.Equal(t, 3, strings.Count(lab, "port: "+port+"\n"), "every customHost points at the local service")
	path := filepath.Join(st.Dir, "applied-lab7.yaml")
	require.NoError(t, os.WriteFile(path, []byte(lab), 0o600))
	kubectl(t, "apply", "-f", path)
	t.Cleanup(func() {
		_, _ = st.Kubectl("delete", "routeoption", "openai", "-n", "gloo-system", "--ignore-not-found")
		apply(t, "10-openai-backend.yaml") // the tutorial's single provider again
	})

	want := []string{"gpt-4o", "gpt-4.0-turbo", "gpt-3.5-turbo"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a := chat(t, "")
		models, keys := llm.take()
		if a.status == http.StatusTooManyRequests && len(models) == len(want) {
			require.Equal(t, want, models, "one request per priority, in order")
			require.JSONEq(t, `{"error":{"message":"rate limited: gpt-3.5-turbo"}}`, a.body, "the client gets the last 429")
			for _, k := range keys {
				require.Equal(t, "Bearer sk-test-openai-key", k, "each member's key from openai-secret")
			}
			break
		}
		require.True(t, time.Now().Before(deadline), "after 20s the gateway answers %s and the service received %v", a, models)
		sleepPoll()
	}
	out, err := st.Kubectl("get", "upstream", "-n", "gloo-system", "openai", "-o",
		`jsonpath={.status.conditions[?(@.type=="Accepted")].status} {.status.conditions[?(@.type=="ResolvedRefs")].status}`)
	require.NoError(t, err, out)
	require.Equal(t, "True True", strings.TrimSpace(out))
}
