package proxy_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// streamingLLM answers every request with an OpenAI-style stream: the role chunk at
// once, then text chunks (a card number split across them) 1 ms apart, then [DONE].
func streamingLLM(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		events := []string{
			`data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n",
			openAIChunk("Your card is 1234 56"), openAIChunk("78 9012 34"), openAIChunk("56. Keep it safe."),
			"data: [DONE]\n\n",
		}
		for i, ev := range events {
			if i > 0 {
				time.Sleep(time.Millisecond)
			}
			_, _ = io.WriteString(w, ev)
			_ = rc.Flush()
		}
	}))
	b.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// BenchmarkStreamFirstEvent measures the time to the first event of a streamed answer
// through a route with lab 9's response guard and through the same route without it,
// one request to each in turn, and reports both and their difference (goal: the guard
// adds at most 1 ms).
func BenchmarkStreamFirstEvent(b *testing.B) {
	backend := streamingLLM(b)
	base := benchProxy(b, 0, func(port uint32, _ string) *snapshotv1.Snapshot {
		s := tutorial(b, port, backend, false, false)
		vh := s.Listeners[0].VirtualHosts[0]
		guarded := proto.Clone(vh.Routes[0]).(*snapshotv1.Route)
		guarded.Name, guarded.Match.Path.Value = "guarded", "/guarded"
		guarded.AiGuard = labGuard()
		vh.Routes = append([]*snapshotv1.Route{guarded}, vh.Routes...)
		return s
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"card?"}]}`
	var plain, guarded time.Duration
	b.ResetTimer()
	for b.Loop() {
		plain += firstEvent(b, client, base+"/openai", body)
		guarded += firstEvent(b, client, base+"/guarded", body)
	}
	n := float64(b.N)
	b.ReportMetric(float64(plain.Microseconds())/n, "plain-µs/first-event")
	b.ReportMetric(float64(guarded.Microseconds())/n, "guarded-µs/first-event")
	b.ReportMetric(float64((guarded-plain).Microseconds())/n, "added-µs/first-event")
}

// firstEvent sends body to url and returns how long the first event of the answer took
// to arrive; it reads the rest and checks the answer.
func firstEvent(b *testing.B, c *http.Client, url, body string) time.Duration {
	start := time.Now()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			b.Fatalf("no first event: %v", err)
		}
		if line == "\n" {
			break
		}
	}
	d := time.Since(start)
	rest, _ := io.ReadAll(br)
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
		b.Fatalf("%d %s", resp.StatusCode, rest)
	}
	return d
}
