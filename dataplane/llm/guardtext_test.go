package llm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// upper masks by upper-casing and records what it saw.
type seen struct{ got []string }

func (s *seen) prompt(role, text string) string {
	s.got = append(s.got, role+":"+text)
	return strings.ToUpper(text)
}

func TestEditPrompt(t *testing.T) {
	for name, tc := range map[string]struct {
		f          Format
		body, want string
		seen       []string
	}{
		"openai messages with content parts": {
			FormatOpenAI,
			`{"model":"m","messages":[{"role":"system","content":"be"},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"x"}}]}],"temperature":0.50}`,
			`{"model":"m","messages":[{"role":"system","content":"BE"},{"role":"user","content":[{"type":"text","text":"HI"},{"type":"image_url","image_url":{"url":"x"}}]}],"temperature":0.50}`,
			[]string{"system:be", "user:hi"},
		},
		"responses api input and instructions": {
			FormatOpenAI, `{"instructions":"sys","input":[{"role":"user","content":[{"type":"input_text","text":"q"}]}]}`,
			`{"instructions":"SYS","input":[{"role":"user","content":[{"type":"input_text","text":"Q"}]}]}`,
			[]string{"user:q", "system:sys"},
		},
		"responses api input string": {FormatOpenAI, `{"input":"q"}`, `{"input":"Q"}`, []string{"user:q"}},
		"anthropic system and messages": {
			FormatAnthropic, `{"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":"u"}]}`,
			`{"system":[{"type":"text","text":"S"}],"messages":[{"role":"user","content":"U"}]}`,
			[]string{"system:s", "user:u"},
		},
		"gemini": {
			FormatGemini, `{"systemInstruction":{"parts":[{"text":"s"}]},"contents":[{"role":"user","parts":[{"text":"u"},{"inlineData":{}}]}]}`,
			`{"systemInstruction":{"parts":[{"text":"S"}]},"contents":[{"role":"user","parts":[{"text":"U"},{"inlineData":{}}]}]}`,
			[]string{"system:s", "user:u"},
		},
		"unchanged keeps its bytes": {FormatOpenAI, `{"messages": [ {"role":"user","content":"ok 1"} ]}`, `{"messages": [ {"role":"user","content":"ok 1"} ]}`, []string{"user:ok 1"}},
	} {
		t.Run(name, func(t *testing.T) {
			var s seen
			edit := s.prompt
			if name == "unchanged keeps its bytes" {
				edit = func(role, text string) string { s.got = append(s.got, role+":"+text); return text }
			}
			out, changed, ok := EditPrompt([]byte(tc.body), tc.f, edit)
			require.True(t, ok)
			require.Equal(t, tc.want, string(out))
			require.Equal(t, tc.want != tc.body, changed)
			require.ElementsMatch(t, tc.seen, s.got)
		})
	}
	_, _, ok := EditPrompt([]byte(`[1]`), FormatOpenAI, func(_, s string) string { return s })
	require.False(t, ok, "not a JSON object")
}

func TestEditAnswer(t *testing.T) {
	up := func(_ int, _, s string) string { return strings.ToUpper(s) }
	for name, tc := range map[string]struct {
		f          Format
		body, want string
	}{
		"openai":       {FormatOpenAI, `{"choices":[{"index":0,"message":{"role":"assistant","content":"a"}}],"usage":{"total_tokens":3}}`, `{"choices":[{"index":0,"message":{"role":"assistant","content":"A"}}],"usage":{"total_tokens":3}}`},
		"legacy":       {FormatOpenAI, `{"choices":[{"text":"a"}]}`, `{"choices":[{"text":"A"}]}`},
		"responses":    {FormatOpenAI, `{"output":[{"type":"message","content":[{"type":"output_text","text":"a"}]}]}`, `{"output":[{"type":"message","content":[{"type":"output_text","text":"A"}]}]}`},
		"anthropic":    {FormatAnthropic, `{"content":[{"type":"text","text":"a"},{"type":"tool_use","input":{}}]}`, `{"content":[{"type":"text","text":"A"},{"type":"tool_use","input":{}}]}`},
		"gemini":       {FormatGemini, `{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}`, `{"candidates":[{"content":{"parts":[{"text":"A"}]}}]}`},
		"gemini array": {FormatGemini, `[{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}]`, `[{"candidates":[{"content":{"parts":[{"text":"A"}]}}]}]`},
	} {
		t.Run(name, func(t *testing.T) {
			out, changed, ok := EditAnswer([]byte(tc.body), tc.f, up)
			require.True(t, ok)
			require.True(t, changed)
			require.Equal(t, tc.want, string(out))
		})
	}
}

func TestEditDelta(t *testing.T) {
	for name, tc := range map[string]struct {
		f          Format
		data, want string
		texts      int
		final      bool
	}{
		"openai chunk":            {FormatOpenAI, `{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}`, `{"choices":[{"index":0,"delta":{"content":"<a>"},"finish_reason":null}]}`, 1, false},
		"openai finish with text": {FormatOpenAI, `{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}`, `{"choices":[{"index":0,"delta":{"content":"<a!>"},"finish_reason":"stop"}]}`, 1, true},
		"openai role only":        {FormatOpenAI, `{"choices":[{"index":0,"delta":{"role":"assistant"}}]}`, `{"choices":[{"index":0,"delta":{"role":"assistant"}}]}`, 0, false},
		"anthropic text delta":    {FormatAnthropic, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}`, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"<a>"}}`, 1, false},
		"anthropic stop":          {FormatAnthropic, `{"type":"message_stop"}`, `{"type":"message_stop"}`, 0, false},
		"gemini":                  {FormatGemini, `{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}`, `{"candidates":[{"content":{"parts":[{"text":"<a!>"}]},"finishReason":"STOP"}]}`, 1, true},
		"responses delta":         {FormatOpenAI, `{"type":"response.output_text.delta","output_index":0,"delta":"a"}`, `{"type":"response.output_text.delta","output_index":0,"delta":"<a>"}`, 1, false},
	} {
		t.Run(name, func(t *testing.T) {
			out, n := EditDelta([]byte(tc.data), tc.f, func(_ int, s string, final bool) string {
				if final {
					return "<" + s + "!>"
				}
				return "<" + s + ">"
			})
			require.Equal(t, tc.texts, n)
			require.Equal(t, tc.want, string(out))
		})
	}
}

func TestEditStreamText(t *testing.T) {
	out, changed := EditStreamText([]byte(`{"type":"response.output_text.done","text":"a"}`), FormatOpenAI, strings.ToUpper)
	require.True(t, changed)
	require.Equal(t, `{"type":"response.output_text.done","text":"A"}`, string(out))
	out, changed = EditStreamText([]byte(`{"type":"response.completed","response":{"output":[{"content":[{"type":"output_text","text":"a"}]}]}}`), FormatOpenAI, strings.ToUpper)
	require.True(t, changed)
	require.Contains(t, string(out), `"text":"A"`)
}

func TestSSEEvents(t *testing.T) {
	var s SSEEvents
	s.Feed([]byte("event: a\ndata: {\"x\":"))
	_, ok := s.Next()
	require.False(t, ok)
	s.Feed([]byte("1}\r\n\r\ndata: 2\n"))
	ev, ok := s.Next()
	require.True(t, ok)
	require.Equal(t, "event: a\ndata: {\"x\":1}\r\n\r\n", string(ev))
	data, ok := EventData(ev)
	require.True(t, ok)
	require.Equal(t, `{"x":1}`, string(data))
	require.Equal(t, "event: a\ndata: {\"y\":2}\n\r\n", string(WithData(ev, []byte(`{"y":2}`))))
	_, ok = s.Next()
	require.False(t, ok)
	s.Feed([]byte("\n"))
	ev, ok = s.Next()
	require.True(t, ok)
	require.Equal(t, "data: 2\n\n", string(ev))
	require.Zero(t, s.Pending())
}
