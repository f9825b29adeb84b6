package llm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMeterModel: the meter reports the model that answered, as each provider names it,
// in a whole answer and in a stream, wherever the upstream's reads cut the answer.
func TestMeterModel(t *testing.T) {
	long := strings.Repeat("m", maxModelLength)
	tests := map[string]struct {
		body   string
		format bodyFormat
		hide   bool
		model  string
	}{
		"openai JSON answer":    {body: openAIJSON, format: formatJSON, model: "gpt-4o"},
		"openai stream":         {body: openAIStream + openAIUsageChunk + sseDone, format: formatSSE, model: "gpt-4o"},
		"openai stream, hiding": {body: openAIStream + openAIUsageChunk + sseDone, format: formatSSE, hide: true, model: "gpt-4o"},
		"azure: the content filter chunk's empty model is skipped": {
			body: azureFilterChunk + openAIStream, format: formatSSE, model: "gpt-4o",
		},
		"mistral stream":        {body: mistralStream, format: formatSSE, model: "mistral-small-latest"},
		"anthropic JSON answer": {body: anthropicJSON, format: formatJSON, model: "claude-sonnet-4"},
		"anthropic stream: message_start's message.model": {
			body: anthropicStream, format: formatSSE, model: "claude-sonnet-4",
		},
		"gemini JSON answer: modelVersion": {body: geminiJSON, format: formatJSON, model: "gemini-2.0-flash"},
		"gemini alt=sse stream":            {body: geminiStream, format: formatSSE, model: "gemini-2.0-flash"},
		"gemini stream framed as a JSON array": {
			body:   `[{"candidates":[],"modelVersion":"gemini-2.5-pro"},` + "\r\n" + `{"candidates":[],"modelVersion":"gemini-2.5-pro"}]`,
			format: formatJSON, model: "gemini-2.5-pro",
		},
		"responses API stream: response.model": {
			body:   "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\",\"model\":\"gpt-4.1-2025-04-14\",\"usage\":null}}\n\n",
			format: formatSSE, model: "gpt-4.1-2025-04-14",
		},
		"responses API JSON answer": {
			body: `{"id":"r","object":"response","model":"o3-2025-04-16","output":[],"usage":{"input_tokens":1,"output_tokens":1}}`, format: formatJSON,
			model: "o3-2025-04-16",
		},
		"the first name wins": {
			body:   `data: {"model":"first","choices":[]}` + "\n\n" + `data: {"model":"second","choices":[]}` + "\n\n",
			format: formatSSE, model: "first",
		},
		"a name of the longest kept length": {
			body: `{"model":"` + long + `"}`, format: formatJSON, model: long,
		},
		"a longer name is not kept; a later one is": {
			body:   `data: {"model":"` + long + `x"}` + "\n\n" + `data: {"model":"gpt-4o"}` + "\n\n",
			format: formatSSE, model: "gpt-4o",
		},
		"escapes are kept as written": {body: `{"model":"a\"b\\/c"}`, format: formatJSON, model: `a\"b\\/c`},
		"a model in a choice, a content block, usage or metadata is not the answer's": {
			body: `data: {"choices":[{"message":{"model":"x"}}],"usage":{"model":"y"},"metadata":{"model":"z"}}` + "\n\n" +
				`data: {"type":"content_block_start","content_block":{"model":"w"}}` + "\n\n",
			format: formatSSE,
		},
		"a tool's input with a model member is not the answer": {
			body:   `{"type":"message","content":[{"type":"tool_use","input":{"model":"x"}}],"model":"claude-opus-4-1"}`,
			format: formatJSON, model: "claude-opus-4-1",
		},
		"nor in message_start": {
			body:   `data: {"type":"message_start","message":{"content":[{"type":"tool_use","input":{"model":"x"}}],"model":"claude-opus-4-1"}}` + "\n\n",
			format: formatSSE, model: "claude-opus-4-1",
		},
		"a model that is not a string": {
			body: `data: {"model":{"name":"x"}}` + "\n\n" + `data: {"model":["y"]}` + "\n\n" + `data: {"model":7}` + "\n\n" +
				`data: {"modelVersion":null}` + "\n\n",
			format: formatSSE,
		},
		"a key that only starts like model": {body: `{"models":"x","model_id":"y"}`, format: formatJSON},
		"a stream cut inside the name":      {body: `data: {"model":"gpt-4`, format: formatSSE},
		"a name cut by the end of its event": {
			body: `data: {"model":"gpt-4` + "\n\n" + `data: {"model":"gpt-5"}` + "\n\n", format: formatSSE, model: "gpt-5",
		},
		"an encoded answer is not read": {body: "\x1f\x8b" + `{"model":"gpt-4o"}`, format: formatOpaque},
	}
	for name, tc := range tests {
		cuts := map[string][]string{}
		for split, cut := range splitters {
			cuts[split] = cut(tc.body)
		}
		t.Run(name, func(t *testing.T) {
			for split, chunks := range cuts {
				require.Equal(t, tc.model, meterModel(t, chunks, tc.format, tc.hide), split)
			}
			for i := 1; i < len(tc.body); i++ {
				chunks := []string{tc.body[:i], tc.body[i:]}
				require.Equal(t, tc.model, meterModel(t, chunks, tc.format, tc.hide), "cut at byte %d", i)
			}
		})
	}
}

func meterModel(t *testing.T, chunks []string, format bodyFormat, hide bool) string {
	t.Helper()
	m := newMeter(&chunkReader{chunks: chunks}, format, 0, hide, true, nil)
	_, _, u, calls := meterAll(t, m)
	require.Equal(t, 1, calls)
	return u.Model
}

// TestMeterModelTooLong: a name too long to keep is given up on wherever it overflows,
// an escape included, and the rest of the answer is read as before.
func TestMeterModelTooLong(t *testing.T) {
	for name, model := range map[string]string{
		"letters":                         strings.Repeat("m", 3*maxModelLength),
		"an escaped quote at the bound":   strings.Repeat("m", maxModelLength-1) + `\"}x`,
		"an escaped quote past the bound": strings.Repeat("m", maxModelLength) + `\"}x`,
		"escapes throughout":              strings.Repeat(`\\\"`, maxModelLength),
	} {
		body := `{"model":"` + model + `","choices":[{"message":{"content":"12345678"}}],"usage":{"prompt_tokens":3}}`
		t.Run(name, func(t *testing.T) {
			for i := 1; i <= len(body); i++ {
				m := newMeter(&chunkReader{chunks: []string{body[:i], body[i:]}}, formatJSON, 0, false, true, nil)
				_, _, u, _ := meterAll(t, m)
				require.Equal(t, Usage{Input: 3, Output: 2, Estimated: true}, u, "cut at byte %d", i)
			}
		})
	}
}

// TestInternedModelNames: a model name seen before comes back without an allocation;
// past the bound, names are still right, only not kept.
func TestInternedModelNames(t *testing.T) {
	tab := interned{m: map[string]string{}}
	name := []byte("gpt-4o-mini")
	require.Equal(t, "gpt-4o-mini", tab.intern(name))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = tab.intern(name) }))
	for i := range maxInterned + 10 {
		require.Equal(t, fmt.Sprint("m", i), tab.intern(fmt.Append(nil, "m", i)))
	}
	require.Len(t, tab.m, maxInterned)
}
