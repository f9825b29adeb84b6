package llm

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// refCount and refUsage decode a usage object with encoding/json, the reference the
// usage decoder must agree with.
type refCount struct{ c count }

func (r *refCount) UnmarshalJSON(b []byte) error { r.c = readCount(b); return nil }

type refUsage struct {
	PromptTokens            refCount `json:"prompt_tokens"`
	CompletionTokens        refCount `json:"completion_tokens"`
	InputTokens             refCount `json:"input_tokens"`
	OutputTokens            refCount `json:"output_tokens"`
	CacheCreation           refCount `json:"cache_creation_input_tokens"`
	CacheRead               refCount `json:"cache_read_input_tokens"`
	PromptTokenCount        refCount `json:"promptTokenCount"`
	ToolUsePromptTokenCount refCount `json:"toolUsePromptTokenCount"`
	CandidatesTokenCount    refCount `json:"candidatesTokenCount"`
	ThoughtsTokenCount      refCount `json:"thoughtsTokenCount"`
	TotalTokenCount         refCount `json:"totalTokenCount"`
}

// referenceUsage is what encoding/json decodes obj into; the zero value when it fails
// (the meter then ignores the object).
func referenceUsage(obj []byte) wireUsage {
	var r refUsage
	if json.Unmarshal(obj, &r) != nil {
		return wireUsage{}
	}
	return wireUsage{
		PromptTokens: r.PromptTokens.c, CompletionTokens: r.CompletionTokens.c,
		InputTokens: r.InputTokens.c, OutputTokens: r.OutputTokens.c, CacheCreation: r.CacheCreation.c, CacheRead: r.CacheRead.c,
		PromptTokenCount: r.PromptTokenCount.c, ToolUsePromptTokenCount: r.ToolUsePromptTokenCount.c,
		CandidatesTokenCount: r.CandidatesTokenCount.c, ThoughtsTokenCount: r.ThoughtsTokenCount.c, TotalTokenCount: r.TotalTokenCount.c,
	}
}

// decodedUsage is what the decoder reads from obj; the zero value when it refuses it.
func decodedUsage(obj []byte) wireUsage {
	var w wireUsage
	if !w.decode(obj) {
		return wireUsage{}
	}
	return w
}

var usageObjects = []string{
	`{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`,
	`{"input_tokens":25,"cache_creation_input_tokens":3,"cache_read_input_tokens":4,"output_tokens":1}`,
	`{"promptTokenCount":8,"candidatesTokenCount":5,"thoughtsTokenCount":2,"totalTokenCount":15}`,
	` { "prompt_tokens" : 7 , "completion_tokens" :	8 } `,
	`{}`,
	// Duplicates: the last wins, also when it is not a count.
	`{"prompt_tokens":1,"prompt_tokens":2}`,
	`{"prompt_tokens":1,"prompt_tokens":"2"}`,
	`{"prompt_tokens":1,"prompt_tokens":null}`,
	// Keys matched without regard to case, escaped, with the Kelvin sign folding to k.
	`{"PROMPT_TOKENS":3,"Completion_Tokens":4}`,
	`{"prompt_tokens":3,"PROMPT_TOKENS":5}`,
	`{"prompt\u005ftokens":6,"completion_to\u212aens":7}`,
	"{\"completion_to\u212aens\":9}",
	`{"prompt_tokens\u0000":6}`,
	// Values: numbers of every shape, and what is not a count.
	`{"prompt_tokens":-3,"completion_tokens":1.9,"input_tokens":2e3,"output_tokens":-0}`,
	`{"prompt_tokens":1e400,"completion_tokens":99999999999999999999,"input_tokens":-1.5}`,
	`{"prompt_tokens":"12","completion_tokens":true,"input_tokens":[1],"output_tokens":{"n":1}}`,
	// Nested members of the same names are not the counts.
	`{"details":{"prompt_tokens":100,"x":[{"completion_tokens":5}]},"prompt_tokens":1}`,
	`{"s":"}\"prompt_tokens\":9,{","completion_tokens":2}`,
	`{"a":[[],{},"]",{"b":"\\"}"}],"prompt_tokens":4}`,
	// Not JSON, or not an object: ignored whole.
	`{"prompt_tokens":1,}`,
	`{"prompt_tokens":1 "completion_tokens":2}`,
	`{"prompt_tokens":01}`,
	`{"prompt_tokens":1}}`,
	`{"prompt_tokens":1`,
	`{"prompt_tokens":tru}`,
	`["prompt_tokens",1]`,
	`null`,
	`"prompt_tokens"`,
	"{\"prompt_tokens\":1,\"s\":\"\xff\"}",
	``,
}

func TestUsageDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, obj := range usageObjects {
		require.Equal(t, referenceUsage([]byte(obj)), decodedUsage([]byte(obj)), "usage object %q", obj)
	}
	// The cases above read what they should, not only the same as the reference.
	require.Equal(t, count{n: 2, ok: true}, decodedUsage([]byte(usageObjects[5])).PromptTokens)
	require.Equal(t, count{}, decodedUsage([]byte(usageObjects[6])).PromptTokens)
	require.Equal(t, count{n: 7, ok: true}, decodedUsage([]byte(usageObjects[10])).CompletionTokens)
	require.Equal(t, count{n: 1, ok: true}, decodedUsage([]byte(usageObjects[16])).PromptTokens)
	require.Equal(t, wireUsage{}, decodedUsage([]byte(usageObjects[19])))
}

func TestUsageDecodeAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled trees at random")
	}
	obj := []byte(usageObjects[0])
	var w wireUsage
	require.Zero(t, testing.AllocsPerRun(100, func() { w.decode(obj) }))
	require.Equal(t, count{n: 19, ok: true}, w.PromptTokens)
}

func FuzzUsageDecode(f *testing.F) {
	for _, obj := range usageObjects {
		f.Add([]byte(obj))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		if got, want := decodedUsage(obj), referenceUsage(obj); got != want {
			t.Fatalf("usage object %q: decoded %+v, encoding/json %+v", obj, got, want)
		}
	})
}

func BenchmarkUsageDecode(b *testing.B) {
	obj := []byte(usageObjects[0])
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w wireUsage
			w.decode(obj)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = referenceUsage(obj)
		}
	})
}
