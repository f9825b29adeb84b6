package llm

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMeterHostileInput: what an upstream sends never panics, never grows the meter's
// memory past its bounds, and reaches the client unchanged (but for the usage-only chunk
// when hiding); counts that do not parse are ignored.
func TestMeterHostileInput(t *testing.T) {
	longLine := "data: {\"choices\":[],\"x\":\"" + strings.Repeat("a", 1<<20) + "\",\"usage\":{\"prompt_tokens\":1}}\n\n"
	bigUsage := "data: {\"choices\":[],\"usage\":{\"pad\":\"" + strings.Repeat("b", 2*maxUsageObject) + "\",\"prompt_tokens\":2}}\n\n"
	tests := map[string]struct {
		body   string
		format bodyFormat
		hide   bool
		want   string // the client's bytes; the body when empty and not hidden
		hidden bool   // the whole body is a usage-only chunk the client does not get
		usage  Usage
	}{
		"a line longer than the bound is passed on, never hidden": {
			body: longLine + sseDone, format: formatSSE, hide: true, usage: Usage{Input: 1, Output: 0},
		},
		"a usage object larger than the bound is ignored": {
			body: bigUsage, format: formatSSE, hide: true, hidden: true, usage: Usage{Input: 25, Estimated: true},
		},
		"invalid JSON in events": {
			body:   "data: {\"choices\":[{\"delta\":{\"content\":\"abcd\"}}],\"usage\":{\"prompt_tokens\":}\n\ndata: }}}]]]\n\ndata: \"\\\n\n" + sseDone,
			format: formatSSE, hide: true, usage: Usage{Input: 25, Output: 1, Estimated: true},
		},
		"negative and non-numeric counts are ignored": {
			body:   `{"usage":{"prompt_tokens":-5,"completion_tokens":"7"}}`,
			format: formatJSON, usage: Usage{Input: 25, Estimated: true},
		},
		"huge counts are bounded": {
			body:   `{"usage":{"prompt_tokens":1e300,"completion_tokens":99999999999999999999999}}`,
			format: formatJSON, usage: Usage{Input: maxTokens, Output: maxTokens},
		},
		"a cache count that is absurd does not overflow": {
			body:   `{"usage":{"input_tokens":9223372036854775807,"cache_read_input_tokens":9223372036854775807,"output_tokens":1}}`,
			format: formatJSON, usage: Usage{Input: 2 * maxTokens, Output: 1},
		},
		"deep nesting": {
			body: strings.Repeat("[", 100000) + strings.Repeat("]", 100000), format: formatJSON,
			usage: Usage{Input: 25, Estimated: true},
		},
		"deep nesting in an event": {
			body: "data: " + strings.Repeat(`{"a":`, 5000) + "\n\n" + openAIUsageChunk, format: formatSSE, hide: true,
			want: "data: " + strings.Repeat(`{"a":`, 5000) + "\n\n", usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"},
		},
		"an unterminated last line is passed on": {
			body: openAIStream + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3}}", format: formatSSE, hide: true,
			usage: Usage{Input: 3, Output: 5, Estimated: true, Model: "gpt-4o"},
		},
		"lines ended by CR LF": {
			body:   strings.ReplaceAll(openAIStream+openAIUsageChunk+sseDone, "\n", "\r\n"),
			format: formatSSE, hide: true, want: strings.ReplaceAll(openAIStream+sseDone, "\n", "\r\n"),
			usage: Usage{Input: 12, Output: 5, Model: "gpt-4o"},
		},
		"binary garbage": {
			body: string(bytes.Repeat([]byte{0, 0xff, '"', '\\', '{', '\n', ':'}, 3000)), format: formatSSE, hide: true,
			usage: Usage{Input: 25, Estimated: true},
		},
	}
	for name, tc := range tests {
		for split, cut := range splitters {
			t.Run(name+"/"+split, func(t *testing.T) {
				m := newMeter(&chunkReader{chunks: cut(tc.body)}, tc.format, 100, tc.hide, true, nil)
				got, _, u, calls := meterAll(t, m)
				want := tc.want
				if want == "" && !tc.hidden {
					want = tc.body
				}
				require.Equal(t, want, got)
				require.Equal(t, tc.usage, u)
				require.Equal(t, 1, calls)
				require.LessOrEqual(t, cap(m.line.held), 2*maxHeldLine+64<<10)
				require.LessOrEqual(t, cap(m.scan.capture), 2*maxUsageObject)
			})
		}
	}
}

// FuzzMeter: whatever the stream and however it is cut, the meter does not panic, reports
// once, gives the same bytes and counts, and changes nothing unless hiding.
func FuzzMeter(f *testing.F) {
	for _, s := range []string{
		openAIStream + openAIUsageChunk + sseDone, azureFilterChunk + openAIStream, mistralStream,
		anthropicStream, geminiStream, geminiArrayStream, responsesStream, openAIJSON, "data: {\"choices\":[],\"usage\":{}}\r\n\r\n",
	} {
		f.Add([]byte(s), true, false, uint64(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, hide, asJSON bool, seed uint64) {
		format := formatSSE
		if asJSON {
			format = formatJSON
		}
		run := func(chunks []string) (string, Usage) {
			m := newMeter(&chunkReader{chunks: chunks}, format, int64(len(body)), hide, true, nil)
			got, _, u, calls := meterAll(t, m)
			if calls != 1 || u.Input < 0 || u.Output < 0 {
				t.Fatalf("calls %d, usage %+v", calls, u)
			}
			return got, u
		}
		whole, u := run([]string{string(body)})
		if (!hide || asJSON) && whole != string(body) {
			t.Fatalf("changed without hiding: %q", whole)
		}
		if len(whole) > len(body) {
			t.Fatalf("grew: %q", whole)
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		var chunks []string
		for s := string(body); len(s) > 0; {
			n := min(1+rng.IntN(16), len(s))
			chunks, s = append(chunks, s[:n]), s[n:]
		}
		got, u2 := run(chunks)
		if got != whole || u2 != u {
			t.Fatalf("depends on read boundaries: %q %+v vs %q %+v", got, u2, whole, u)
		}
	})
}

// TestMeterReadAfterEOF: reads past the end keep returning EOF.
func TestMeterReadAfterEOF(t *testing.T) {
	m := newMeter(&chunkReader{chunks: []string{openAIStream}}, formatSSE, 0, true, true, func(Usage) {})
	_, err := io.ReadAll(m)
	require.NoError(t, err)
	n, err := m.Read(make([]byte, 8))
	require.Zero(t, n)
	require.ErrorIs(t, err, io.EOF)
}
