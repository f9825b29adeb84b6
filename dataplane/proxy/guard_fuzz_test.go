package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-logr/logr"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/dataplane/llm"
)

const fuzzCard = `\b(\d{4}[-\s]\d{4}[-\s]\d{4}[-\s]\d{4})\b`

// fuzzGuardState is the response stage of a request to an OpenAI (or, with anthropic,
// Anthropic) route guarded by lab 9's response pattern.
func fuzzGuardState(t testing.TB, provider snapshotv1.LlmProvider) *guardState {
	t.Helper()
	s := &Server{log: logr.Discard()}
	m, err := newMetrics(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	s.metrics = m
	p, err := guard.Compile(&snapshotv1.AiGuard{Response: &snapshotv1.AiResponseGuard{Regex: &snapshotv1.AiRegexGuard{
		Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: fuzzCard}},
	}}}, guard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := llm.Compile(&snapshotv1.LlmUpstream{Provider: provider, AuthToken: "k"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/chat/completions"
	if provider == snapshotv1.LlmProvider_ANTHROPIC {
		path = "/v1/messages"
	}
	return &guardState{s: s, rw: &responseWriter{}, p: p, adapter: a, format: a.BodyFormat(path), header: http.Header{}}
}

// guardedAnswer runs body, delivered in pieces of the given sizes, through the
// response stage as a stream (sse) or a whole answer, and returns what the client reads.
func guardedAnswer(t *testing.T, g *guardState, body []byte, sizes []byte, sse bool) []byte {
	t.Helper()
	req := &http.Request{URL: &url.URL{Path: "/v1/chat/completions"}, Header: http.Header{}}
	req = req.WithContext(t.Context())
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: req, Body: io.NopCloser(&pieces{b: body, sizes: sizes})}
	resp.Header.Set("Content-Type", "application/json")
	if sse {
		resp.Header.Set("Content-Type", "text/event-stream")
		resp.Body = newGuardStream(g, resp)
	} else if err := g.maskWhole(resp); err != nil {
		return nil // refused whole (502), never passed
	}
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the guarded answer: %v", err)
	}
	return out
}

// pieces reads b in pieces of the given sizes (cycled, 0 as 1).
type pieces struct {
	b     []byte
	sizes []byte
	i     int
}

func (p *pieces) Read(out []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	n := 1 + len(p.b)
	if len(p.sizes) > 0 {
		n = int(p.sizes[p.i%len(p.sizes)]) + 1
		p.i++
	}
	n = min(n, len(p.b), len(out))
	copy(out, p.b[:n])
	p.b = p.b[n:]
	return n, nil
}

// FuzzGuardAnswerBytes: any answer body, whole or streamed, in any pieces, is masked
// or passed and ends; nothing panics.
func FuzzGuardAnswerBytes(f *testing.F) {
	for _, s := range []string{
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"1234 5678 \"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"9012 3456\"}}]}\n\ndata: [DONE]\n\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\r\n\r\n",
		`{"choices":[{"message":{"content":"1234 5678 9012 3456"}}]}`, `[{"candidates":[]}]`, "data: {\"choices\":[{\"index\":-1,\"delta\":{\"content\":7}}]}\n\n",
		"data: {\"choices\":null}\n\ndata: {\n\n", ":ping\n\n", "",
	} {
		f.Add([]byte(s), []byte{3, 0, 17}, true)
		f.Add([]byte(s), []byte{}, false)
	}
	openai := fuzzGuardState(f, snapshotv1.LlmProvider_OPENAI)
	anthropic := fuzzGuardState(f, snapshotv1.LlmProvider_ANTHROPIC)
	f.Fuzz(func(t *testing.T, body, sizes []byte, sse bool) {
		for _, g := range []*guardState{openai, anthropic} {
			_ = guardedAnswer(t, g, body, sizes, sse)
		}
	})
}

// FuzzGuardStreamMasks: a card number in an OpenAI-style stream's text is masked
// however the text is split across events, as long as the text has no boundary
// (newline, sentence end) and stays under the held bound.
func FuzzGuardStreamMasks(f *testing.F) {
	f.Add("Your card is 1234 5678 9012 3456, thanks", []byte{5, 9, 2})
	f.Add("1234-5678-9012-3456", []byte{0})
	f.Add("a 1234 5678 9012 3456 b 1111 2222 3333 4444", []byte{1, 30})
	re := regexp.MustCompile(fuzzCard)
	g := fuzzGuardState(f, snapshotv1.LlmProvider_OPENAI)
	f.Fuzz(func(t *testing.T, text string, cuts []byte) {
		if strings.ContainsAny(text, "\n.!?") || len(text) > guard.MaxHeld || !utf8.ValidString(text) {
			t.Skip()
		}
		var stream bytes.Buffer
		rest := text
		for i := 0; rest != ""; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(int(cuts[i%len(cuts)])+1, len(rest))
			}
			for n < len(rest) && !utf8.RuneStart(rest[n]) {
				n++ // a provider splits its text between characters, not inside one
			}
			stream.WriteString("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":" + string(mustJSON(rest[:n])) + "}}]}\n\n")
			rest = rest[n:]
		}
		stream.WriteString("data: [DONE]\n\n")
		out := guardedAnswer(t, g, stream.Bytes(), []byte{7}, true)
		got := deltaText(t, out)
		if want, _ := g.p.Response[0].Guard.(*guard.Regex).Mask(text); got != want {
			t.Fatalf("stream text %q, want %q", got, want)
		}
		if re.MatchString(got) {
			t.Fatalf("a card number passed: %q", got)
		}
	})
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// deltaText is the text of an OpenAI-style stream's events.
func deltaText(t *testing.T, stream []byte) string {
	var out strings.Builder
	for _, ev := range strings.Split(string(stream), "\n\n") {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		for _, ch := range c.Choices {
			out.WriteString(ch.Delta.Content)
		}
	}
	return out.String()
}

// FuzzGuardRequestBody: any request body on a guarded route is answered 4xx (not a
// JSON object, or rejected) or passes: unchanged, or masked into JSON; never 5xx.
func FuzzGuardRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"my credit card 4111 1111 1111 1111"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a@b.io"},{"type":"image_url"}]}]}`,
		`{"input":"credit card"}`, `{"messages":null}`, `{"messages":[1,"x",{"content":7}]}`, `not json`, `[]`, `{}`,
		`{"system":[{"type":"text","text":"credit card"}],"contents":[{"parts":[{"text":"x"}]}]}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	s := &Server{log: logr.Discard()}
	m, err := newMetrics(nil, s)
	if err != nil {
		f.Fatal(err)
	}
	s.metrics = m
	reject, err := guard.Compile(&snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{Regex: &snapshotv1.AiRegexGuard{
		Matches: []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: "credit card"}}, Action: snapshotv1.AiRegexGuard_REJECT,
	}}}, guard.Options{})
	if err != nil {
		f.Fatal(err)
	}
	mask, err := guard.Compile(&snapshotv1.AiGuard{Request: &snapshotv1.AiRequestGuard{Regex: &snapshotv1.AiRegexGuard{
		Matches:  []*snapshotv1.AiRegexGuard_AiRegexMatch{{Pattern: `credit\s+card`}},
		Builtins: []snapshotv1.AiRegexGuard_BuiltIn{0, 1, 2, 3},
	}}}, guard.Options{})
	if err != nil {
		f.Fatal(err)
	}
	var ups []*upstream
	for _, p := range []snapshotv1.LlmProvider{snapshotv1.LlmProvider_OPENAI, snapshotv1.LlmProvider_ANTHROPIC, snapshotv1.LlmProvider_GEMINI} {
		a, err := llm.Compile(&snapshotv1.LlmUpstream{Provider: p, AuthToken: "k"})
		if err != nil {
			f.Fatal(err)
		}
		ups = append(ups, &upstream{adapter: a})
	}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		up := ups[int(which)%len(ups)]
		for _, p := range []*guard.Pipeline{reject, mask} {
			rec := httptest.NewRecorder()
			rw := newResponseWriter(rec)
			r := httptest.NewRequest(http.MethodPost, "/v1beta/models/g:generateContent", nil)
			llm.SetBody(r, bytes.Clone(body))
			answered := s.guardRequest(rw, r, p, up)
			got, _ := llm.InMemory(r)
			switch {
			case answered && (rec.Code < 400 || rec.Code > 499):
				t.Fatalf("answered %d: %s", rec.Code, rec.Body)
			case !answered && !bytes.Equal(got, body) && !json.Valid(got):
				t.Fatalf("masked into invalid JSON: %s", got)
			case !answered && p == reject && !bytes.Equal(got, body):
				t.Fatalf("a rejecting guard changed the body: %s", got)
			}
			rw.release()
		}
	})
}
