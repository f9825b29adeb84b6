package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// benchGuard is lab 9's guard (a REJECT pattern on prompts, a card pattern masked in
// answers) with the four built-ins masked in prompts too.
var benchGuard = &snapshotv1.AiGuard{
	Request: &snapshotv1.AiRequestGuard{Regex: &snapshotv1.AiRegexGuard{
		Matches:  []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "credit card"}},
		Builtins: []snapshotv1.AiRegexGuard_BuiltIn{snapshotv1.AiRegexGuard_SSN, snapshotv1.AiRegexGuard_CREDIT_CARD, snapshotv1.AiRegexGuard_PHONE_NUMBER, snapshotv1.AiRegexGuard_EMAIL},
	}},
	Response: &snapshotv1.AiResponseGuard{Regex: &snapshotv1.AiRegexGuard{Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: `\b(\d{4}[-\s]\d{4}[-\s]\d{4}[-\s]\d{4})\b`}}}},
}

// guardBenchRoute compiles an OpenAI route guarded by benchGuard.
func guardBenchRoute(b *testing.B) (*Server, *route, *upstream) {
	srv, err := New(Config{Authenticator: authn.New(authn.Config{Logger: logr.Discard()}), Logger: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	tbl, err := srv.compile(&snapshotv1.Snapshot{
		Version: "v1", GatewayNamespace: "ns", GatewayName: "gw",
		Listeners: []*snapshotv1.Listener{{Name: "http", Port: 8080, Protocol: snapshotv1.Protocol_HTTP, VirtualHosts: []*snapshotv1.VirtualHost{{
			Name: "any", Domains: []string{"*"}, Routes: []*snapshotv1.Route{{
				Name: "llm", Backends: []*snapshotv1.WeightedBackend{{Upstream: "up", Weight: 1}}, AiGuard: benchGuard,
			}},
		}}}},
		Upstreams: []*snapshotv1.Upstream{{Name: "up", Kind: &snapshotv1.Upstream_Llm{Llm: &snapshotv1.LlmUpstream{
			Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "sk", Endpoint: &snapshotv1.Endpoint{Host: "127.0.0.1", Port: 9},
		}}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	rt := tbl.ports[8080].route(httptest.NewRequest(http.MethodPost, "http://gw/v1/chat/completions", nil))
	return srv, rt, rt.backends.pick()
}

// prose4K is about 4 KiB of plain English text with nothing the guard matches.
func prose4K() string {
	const line = "The quick brown fox jumps over the lazy dog while the committee reviews the quarterly numbers. "
	return strings.Repeat(line, 4096/len(line)+1)[:4096]
}

// BenchmarkGuardRegex4KiB measures the prompt guard's regex stage on a 4 KiB prompt
// (reading its texts from the OpenAI body, the REJECT pattern and the four built-ins)
// and on a 4 KiB whole answer (reading, masking the card pattern, rewriting). Goal:
// at most 20 µs per 4 KiB prompt.
func BenchmarkGuardRegex4KiB(b *testing.B) {
	srv, rt, up := guardBenchRoute(b)
	text := prose4K()
	b.Run("request", func(b *testing.B) {
		body, _ := json.Marshal(map[string]any{"model": "m", "messages": []map[string]string{{"role": "user", "content": text}}})
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		r := httptest.NewRequest(http.MethodPost, "http://gw/v1/chat/completions", nil)
		rec := httptest.NewRecorder()
		for b.Loop() {
			llm.SetBody(r, body)
			rw := newResponseWriter(rec)
			if srv.guardRequest(rw, r, rt.guard, up) {
				b.Fatalf("refused: %s", rw.decision)
			}
			rw.release()
		}
	})
	b.Run("answer", func(b *testing.B) {
		answer, _ := json.Marshal(map[string]any{"choices": []map[string]any{{"index": 0, "message": map[string]string{"role": "assistant", "content": text[:4000] + " 1234 5678 9012 3456"}}}})
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			rw := newResponseWriter(httptest.NewRecorder())
			r := srv.withGuard(rw, httptest.NewRequest(http.MethodPost, "http://gw/v1/chat/completions", nil), rt.guard, up)
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(answer)), Request: r}
			if err := guardResponse(resp); err != nil {
				b.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			if !bytes.Contains(out, []byte("<CUSTOM>")) {
				b.Fatalf("not masked: %s", out[len(out)-64:])
			}
			rw.release()
		}
	})
}
