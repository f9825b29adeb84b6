package llm

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchEvents is a typical streamed answer: 200 content chunks of a few words, the
// finish chunk, the usage-only chunk and [DONE], one event per upstream read.
func benchEvents() []string {
	const events = 200
	out := make([]string, 0, events+3)
	for i := range events {
		out = append(out, fmt.Sprintf(`data: {"id":"chatcmpl-AbCdEf0123456789","object":"chat.completion.chunk","created":1730000000,`+
			`"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_0123456789","choices":[{"index":0,"delta":{"content":" word%d"},`+
			`"logprobs":null,"finish_reason":null}],"usage":null}`+"\n\n", i))
	}
	out = append(out,
		`data: {"id":"chatcmpl-AbCdEf0123456789","object":"chat.completion.chunk","created":1730000000,"model":"gpt-4o-2024-08-06",`+
			`"system_fingerprint":"fp_0123456789","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`+"\n\n",
		openAIUsageChunk, sseDone)
	return out
}

// splitEvents cuts a stream after each separator.
func splitEvents(s, sep string) []string {
	out := strings.SplitAfter(s, sep)
	return out[:len(out)-1] // the empty rest after the last separator
}

// replayReader returns its events, one per Read, without allocating.
type replayReader struct {
	events []string
	i      int
}

func (r *replayReader) Read(p []byte) (int, error) {
	if r.i == len(r.events) {
		return 0, io.EOF
	}
	n := copy(p, r.events[r.i])
	r.i++
	return n, nil
}

func (r *replayReader) Close() error { return nil }

// BenchmarkMeterStream meters a typical stream as the reverse proxy reads it; the
// per-event figures are the op's divided by the number of events.
func BenchmarkMeterStream(b *testing.B) {
	for _, tc := range []struct {
		name   string
		events []string
		hide   bool
	}{
		{"openai", benchEvents(), false},
		{"openai hiding the usage chunk", benchEvents(), true},
		{"anthropic", splitEvents(anthropicStream, "\n\n"), false},
		{"gemini", splitEvents(geminiStream, "\r\n\r\n"), false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var size int
			for _, e := range tc.events {
				size += len(e)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			buf := make([]byte, 32<<10)
			r := &replayReader{events: tc.events}
			var u Usage
			done := func(x Usage) { u = x }
			for b.Loop() {
				r.i = 0
				m := newMeter(r, formatSSE, 1000, tc.hide, true, done)
				for {
					if _, err := m.Read(buf); err != nil {
						break
					}
				}
				_ = m.Close()
			}
			if u.Input == 0 {
				b.Fatal("no usage")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tc.events)), "ns/event")
		})
	}
}

// BenchmarkSetIncludeUsage is the request-side cost on a chat request of a few kilobytes.
func BenchmarkSetIncludeUsage(b *testing.B) {
	body := []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"system","content":"` +
		strings.Repeat("You are helpful. ", 100) + `"},{"role":"user","content":"` + strings.Repeat("Tell me more. ", 100) + `"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := setIncludeUsage(body, MaxBodyBytes); !ok {
			b.Fatal("not set")
		}
	}
}
