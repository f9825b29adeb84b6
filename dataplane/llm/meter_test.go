package llm

import (
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Answers as the providers send them.
const (
	openAIStream = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hello there, friend"},"finish_reason":null}],"usage":null}

data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

`
	openAIUsageChunk = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}

`
	sseDone = "data: [DONE]\n\n"

	azureFilterChunk = `data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}

`
	mistralStream = `data: {"id":"m1","object":"chat.completion.chunk","created":1,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"m1","object":"chat.completion.chunk","created":1,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":"Bonjour"},"finish_reason":null}]}

data: {"id":"m1","object":"chat.completion.chunk","created":1,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"total_tokens":12,"completion_tokens":3}}

data: [DONE]

`
	anthropicStream = `event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":3,"cache_read_input_tokens":5,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, how can I help?"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

`
	geminiStream = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"index\": 0}]," +
		"\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 1,\"totalTokenCount\": 9},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n" +
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" world\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]," +
		"\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 4,\"thoughtsTokenCount\": 2,\"totalTokenCount\": 14," +
		"\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 8}]},\"modelVersion\": \"gemini-2.0-flash\"}\r\n\r\n"
	geminiArrayStream = "[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"}}]," +
		"\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 1,\"totalTokenCount\": 9}}\r\n," +
		"{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" world\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}]," +
		"\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 4,\"totalTokenCount\": 12}}\r\n]"
	responsesStream = `event: response.created
data: {"type":"response.created","response":{"id":"resp_1","status":"in_progress","usage":null}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}

event: response.completed
data: {"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":30,"input_tokens_details":{"cached_tokens":10},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":32}}}

`
	openAIJSON = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Recursion is a function calling itself."},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17}}`
	anthropicJSON = `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4",` +
		`"content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,` +
		`"usage":{"input_tokens":11,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":4}}`
	geminiJSON = `{
  "candidates": [{"content": {"parts": [{"text": "Hi!"}], "role": "model"}, "finishReason": "STOP", "index": 0}],
  "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 3, "totalTokenCount": 9,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 6}]},
  "modelVersion": "gemini-2.0-flash"
}`
)

// chunkReader returns its chunks, one per Read, then err (io.EOF when nil).
type chunkReader struct {
	chunks []string
	err    error
	closed atomic.Bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	if n < len(r.chunks[0]) {
		r.chunks[0] = r.chunks[0][n:]
	} else {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func (r *chunkReader) Close() error { r.closed.Store(true); return nil }

// splitters cut an answer at arbitrary read boundaries.
var splitters = map[string]func(string) []string{
	"whole": func(s string) []string { return []string{s} },
	"byte by byte": func(s string) []string {
		out := make([]string, len(s))
		for i := range s {
			out[i] = s[i : i+1]
		}
		return out
	},
	"random chunks": func(s string) []string {
		rng := rand.New(rand.NewPCG(uint64(len(s)), 7))
		var out []string
		for len(s) > 0 {
			n := min(1+rng.IntN(40), len(s))
			out = append(out, s[:n])
			s = s[n:]
		}
		return out
	},
}

// meterAll reads an answer through a meter and returns what the client got, every Read's
// bytes, and the usage reported.
func meterAll(t *testing.T, m *meter) (got string, reads []string, u Usage, calls int) {
	t.Helper()
	m.done = func(x Usage) { u = x; calls++ }
	buf := make([]byte, 32<<10)
	var sb strings.Builder
	for {
		n, err := m.Read(buf)
		if n > 0 {
			sb.Write(buf[:n])
			reads = append(reads, string(buf[:n]))
		}
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
	require.NoError(t, m.Close())
	return sb.String(), reads, u, calls
}

func TestMeterProviders(t *testing.T) {
	tests := map[string]struct {
		body   string
		format bodyFormat
		hide   bool
		want   string // what the client gets; body when empty
		usage  Usage
	}{
		"openai stream with the usage chunk the client asked for": {
			body: openAIStream + openAIUsageChunk + sseDone, format: formatSSE,
			usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"},
		},
		"openai stream: the usage chunk the client did not ask for is hidden": {
			body: openAIStream + openAIUsageChunk + sseDone, format: formatSSE, hide: true,
			want: openAIStream + sseDone, usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"},
		},
		"azure: a content filter chunk with empty choices and no usage stays": {
			body: azureFilterChunk + openAIStream + openAIUsageChunk + sseDone, format: formatSSE, hide: true,
			want: azureFilterChunk + openAIStream + sseDone, usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"},
		},
		"openai stream without usage: estimated": {
			body: openAIStream + sseDone, format: formatSSE,
			usage: Usage{Input: 25, Output: 5, Estimated: true, Model: "gpt-4o"}, // 100 request bytes; 19 content bytes
		},
		"mistral: usage in the last content chunk, never hidden": {
			body: mistralStream, format: formatSSE, hide: true, usage: Usage{Input: 9, Output: 3, Model: "mistral-small-latest"},
		},
		"anthropic messages stream: input from message_start, output from message_delta": {
			body: anthropicStream, format: formatSSE, usage: Usage{Input: 33, Output: 15, Model: "claude-sonnet-4"},
		},
		"gemini alt=sse stream": {
			body: geminiStream, format: formatSSE, usage: Usage{Input: 8, Output: 6, Model: "gemini-2.0-flash"},
		},
		"gemini stream framed as a JSON array": {
			body: geminiArrayStream, format: formatJSON, usage: Usage{Input: 8, Output: 4},
		},
		"openai responses stream": {
			body: responsesStream, format: formatSSE, usage: Usage{Input: 30, Output: 2},
		},
		"openai JSON answer":    {body: openAIJSON, format: formatJSON, usage: Usage{Input: 10, Output: 7, Model: "gpt-4o"}},
		"anthropic JSON answer": {body: anthropicJSON, format: formatJSON, usage: Usage{Input: 11, Output: 4, Model: "claude-sonnet-4"}},
		"gemini JSON answer":    {body: geminiJSON, format: formatJSON, usage: Usage{Input: 6, Output: 3, Model: "gemini-2.0-flash"}},
		"JSON answer without usage: estimated": {
			body: `{"choices":[{"message":{"content":"12345678"}}]}`, format: formatJSON,
			usage: Usage{Input: 25, Output: 2, Estimated: true},
		},
		"encoded answer: passed unread, estimated from its bytes": {
			body: "\x1f\x8b\x08\x00 twenty bytes", format: formatOpaque, hide: true,
			usage: Usage{Input: 25, Output: 5, Estimated: true},
		},
	}
	for name, tc := range tests {
		for split, cut := range splitters {
			t.Run(name+"/"+split, func(t *testing.T) {
				m := newMeter(&chunkReader{chunks: cut(tc.body)}, tc.format, 100, tc.hide, true, nil)
				got, _, u, calls := meterAll(t, m)
				want := tc.want
				if want == "" {
					want = tc.body
				}
				require.Equal(t, want, got)
				require.Equal(t, tc.usage, u)
				require.Equal(t, 1, calls)
			})
		}
	}
}

// TestMeterKeepsReads: every upstream read reaches the client as one read, unchanged, and
// with hiding every read but the usage chunk's.
func TestMeterKeepsReads(t *testing.T) {
	events := strings.SplitAfter(openAIStream, "\n\n")
	events = events[:len(events)-1]
	for _, hide := range []bool{false, true} {
		chunks := append(append([]string(nil), events...), openAIUsageChunk, sseDone)
		m := newMeter(&chunkReader{chunks: chunks}, formatSSE, 0, hide, true, nil)
		_, reads, _, _ := meterAll(t, m)
		want := chunks
		if hide {
			want = append(append([]string(nil), events...), sseDone)
		}
		require.Equal(t, want, reads, "hide=%v", hide)
	}
}

// TestMeterEarlyClose: a client that hangs up is charged the provider's counts when seen,
// an estimate otherwise, once.
func TestMeterEarlyClose(t *testing.T) {
	tests := map[string]struct {
		body  string
		read  int // bytes the client reads before hanging up
		usage Usage
	}{
		"closed before any byte": {body: openAIStream, read: 0, usage: Usage{Input: 25, Estimated: true}},
		"openai cut mid stream": {
			body: openAIStream, read: len(openAIStream) - 10, usage: Usage{Input: 25, Output: 5, Estimated: true, Model: "gpt-4o"},
		},
		"openai closed after the usage chunk": {
			body: openAIStream + openAIUsageChunk + sseDone, read: len(openAIStream) + len(openAIUsageChunk),
			usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"},
		},
		"anthropic cut after message_start: input seen, output estimated": {
			body: anthropicStream, read: strings.Index(anthropicStream, "event: content_block_stop"),
			usage: Usage{Input: 33, Output: 6, Estimated: true, Model: "claude-sonnet-4"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			up := &chunkReader{chunks: splitters["byte by byte"](tc.body)}
			var calls int
			var u Usage
			m := newMeter(up, formatSSE, 100, false, true, func(x Usage) { u = x; calls++ })
			buf := make([]byte, 1)
			for range tc.read {
				_, err := m.Read(buf)
				require.NoError(t, err)
			}
			require.NoError(t, m.Close())
			require.NoError(t, m.Close())
			_, _ = m.Read(buf)
			require.True(t, up.closed.Load())
			require.Equal(t, 1, calls)
			require.Equal(t, tc.usage, u)
		})
	}
}

func TestMeterUpstreamError(t *testing.T) {
	boom := errors.New("connection reset")
	up := &chunkReader{chunks: []string{openAIStream[:200]}, err: boom}
	var calls int
	var u Usage
	m := newMeter(up, formatSSE, 40, true, true, func(x Usage) { u = x; calls++ })
	_, err := io.ReadAll(m)
	require.ErrorIs(t, err, boom)
	require.NoError(t, m.Close())
	require.Equal(t, 1, calls)
	require.Equal(t, Usage{Input: 10, Estimated: true, Model: "gpt-4o"}, u)
}

func TestAdapterMeter(t *testing.T) {
	a, err := Compile(&snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k"})
	require.NoError(t, err)
	tests := map[string]struct {
		status  int
		header  http.Header
		body    string
		want    string
		usage   Usage
		wantLen int64
	}{
		"stream, usage chunk hidden, length dropped": {
			status: 200, header: http.Header{"Content-Type": {"text/event-stream; charset=utf-8"}, "Content-Length": {"1"}},
			body: openAIStream + openAIUsageChunk + sseDone, want: openAIStream + sseDone,
			usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"}, wantLen: -1,
		},
		"JSON answer: hiding does not apply": {
			status: 200, header: http.Header{"Content-Type": {"application/json"}},
			body: openAIJSON, want: openAIJSON, usage: Usage{Input: 10, Output: 7, Model: "gpt-4o"}, wantLen: int64(len(openAIJSON)),
		},
		"an error answer is charged nothing": {
			status: 429, header: http.Header{"Content-Type": {"application/json"}},
			body: `{"error":{"message":"slow down"}}`, want: `{"error":{"message":"slow down"}}`, wantLen: 33,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := &http.Response{
				StatusCode: tc.status, Header: tc.header, ContentLength: int64(len(tc.body)),
				Body: io.NopCloser(strings.NewReader(tc.body)),
			}
			var u Usage
			calls := 0
			a.Meter(resp, 100, true, func(x Usage) { u = x; calls++ })
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, tc.want, string(got))
			require.Equal(t, tc.usage, u)
			require.Equal(t, 1, calls)
			require.Equal(t, tc.wantLen, resp.ContentLength)
		})
	}
}

// TestMeterCloseDuringRead: a client that hangs up while the proxy waits on the upstream
// closes the body from another goroutine; the blocked read ends and usage is reported once.
func TestMeterCloseDuringRead(t *testing.T) {
	pr, pw := io.Pipe()
	var calls atomic.Int32
	m := newMeter(pr, formatSSE, 8, true, true, func(Usage) { calls.Add(1) })
	read := make(chan error)
	go func() {
		_, err := io.ReadAll(m)
		read <- err
	}()
	_, err := pw.Write([]byte(openAIStream[:100]))
	require.NoError(t, err)
	require.NoError(t, m.Close())
	require.ErrorIs(t, <-read, io.ErrClosedPipe)
	require.Equal(t, int32(1), calls.Load())
}

// TestMeterHidingReleasesContentEarly: with hiding, a content line cut across reads is
// held only until its choices show it is not the usage chunk; other fields pass at once.
func TestMeterHidingReleasesContentEarly(t *testing.T) {
	line := `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}` + "\n\n"
	cut := strings.Index(line, `{"index"`) + 3
	chunks := []string{"event: x", "\n" + line[:10], line[10:cut], line[cut:]}
	m := newMeter(&chunkReader{chunks: chunks}, formatSSE, 0, true, true, nil)
	_, reads, _, _ := meterAll(t, m)
	require.Equal(t, []string{"event: x", "\n", line[:cut], line[cut:]}, reads)
}

// TestMeterHoldsNoBufferBetweenEvents: the buffer a usage object is captured in is held
// only while the object is open, so an open stream keeps none between its events, and
// the counts are read whole.
func TestMeterHoldsNoBufferBetweenEvents(t *testing.T) {
	events := strings.SplitAfter(anthropicStream, "\n\n")
	m := newMeter(&chunkReader{chunks: events}, formatSSE, 0, false, true, nil)
	var u Usage
	m.done = func(x Usage) { u = x }
	buf := make([]byte, 32<<10)
	sawUsage := false
	for {
		n, err := m.Read(buf)
		sawUsage = sawUsage || strings.Contains(string(buf[:n]), `"usage"`)
		require.Nil(t, m.scan.capBuf, "after reading %q", buf[:n])
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
	require.True(t, sawUsage)
	require.Equal(t, Usage{Input: 33, Output: 15, Model: "claude-sonnet-4"}, u)
	// A usage object cut off by the end of its event gives its buffer back too.
	var s jsonScan
	s.feed([]byte(`{"usage":{"prompt_tokens":3`))
	require.NotNil(t, s.capBuf)
	s.reset()
	require.Nil(t, s.capBuf)
	require.Nil(t, s.capture)
}

// TestIsEventStream: a Content-Type is an event stream exactly when mime.ParseMediaType
// reads it as text/event-stream, which is what the reverse proxy flushes event by event.
func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream":                true,
		"Text/Event-Stream; charset=utf-8": true,
		"  text/event-stream ;charset=x":   true,
		"text/event-streams":               false,
		"text/event-stream; =broken":       false,
		"application/json":                 false,
		"":                                 false,
		"text/event":                       false,
	} {
		require.Equal(t, want, IsEventStream(http.Header{"Content-Type": {ct}}), "Content-Type %q", ct)
		mt, _, err := mime.ParseMediaType(ct)
		require.Equal(t, err == nil && mt == "text/event-stream", IsEventStream(http.Header{"Content-Type": {ct}}), "agrees with mime for %q", ct)
	}
}
