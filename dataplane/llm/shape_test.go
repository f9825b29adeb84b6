package llm

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

var labShaping = &Shaping{
	Prepend: []Message{{Role: "system", Content: "Answer in CSV."}},
	Append:  []Message{{Role: "user", Content: "Be brief."}},
}

func TestShape(t *testing.T) {
	for name, tc := range map[string]struct {
		s          *Shaping
		f          Format
		body, want string
		shaped     bool
	}{
		"openai prepend and append": {
			s: labShaping, f: FormatOpenAI, shaped: true,
			body: `{"model":"gpt-4o","messages":[{"role":"user","content":"a <b> & c"}]}`,
			want: `{"messages":[{"content":"Answer in CSV.","role":"system"},{"role":"user","content":"a <b> & c"},{"content":"Be brief.","role":"user"}],"model":"gpt-4o"}`,
		},
		"openai without messages is unchanged": {
			s: labShaping, f: FormatOpenAI, body: `{"prompt":"hi"}`, want: `{"prompt":"hi"}`,
		},
		"messages not an array is unchanged": {
			s: labShaping, f: FormatOpenAI, body: `{"messages":"hi"}`, want: `{"messages":"hi"}`,
		},
		"not an object is unchanged": {
			s: labShaping, f: FormatOpenAI, body: `[1,2]`, want: `[1,2]`,
		},
		"not JSON is unchanged": {
			s: labShaping, f: FormatOpenAI, body: `{"messages":[`, want: `{"messages":[`,
		},
		"defaults set when absent, override always": {
			s: &Shaping{Defaults: []FieldDefault{
				{Field: "temperature", Value: json.RawMessage(`0.5`)},
				{Field: "max_tokens", Value: json.RawMessage(`100`), Override: true},
				{Field: "stop", Value: json.RawMessage(`["\n"]`)},
			}},
			f: FormatOpenAI, shaped: true,
			body: `{"temperature":0.9,"max_tokens":4000,"messages":[]}`,
			want: `{"max_tokens":100,"messages":[],"stop":["\n"],"temperature":0.9}`,
		},
		"defaults without messages still apply": {
			s: &Shaping{Defaults: []FieldDefault{{Field: "temperature", Value: json.RawMessage(`0`)}}},
			f: FormatGemini, shaped: true,
			body: `{"x":{"a" : 1}}`, want: `{"temperature":0,"x":{"a":1}}`,
		},
		"anthropic system string": {
			s: labShaping, f: FormatAnthropic, shaped: true,
			body: `{"system":"You are terse.","messages":[{"role":"user","content":"hi"}]}`,
			want: `{"messages":[{"role":"user","content":"hi"},{"content":"Be brief.","role":"user"}],"system":"Answer in CSV.\nYou are terse."}`,
		},
		"anthropic no system": {
			s: &Shaping{Prepend: []Message{{Role: "system", Content: "A"}}, Append: []Message{{Role: "SYSTEM", Content: "Z"}}}, f: FormatAnthropic, shaped: true,
			body: `{"messages":[]}`,
			want: `{"messages":[],"system":"A\nZ"}`,
		},
		"anthropic system blocks": {
			s: labShaping, f: FormatAnthropic, shaped: true,
			body: `{"system":[{"type":"text","text":"T","cache_control":{"type":"ephemeral"}}],"messages":[]}`,
			want: `{"messages":[{"content":"Be brief.","role":"user"}],"system":[{"text":"Answer in CSV.","type":"text"},{"type":"text","text":"T","cache_control":{"type":"ephemeral"}}]}`,
		},
		"anthropic odd system is unchanged": {
			s: labShaping, f: FormatAnthropic, body: `{"system":7,"messages":[]}`, want: `{"system":7,"messages":[]}`,
		},
		"gemini contents and systemInstruction": {
			s: &Shaping{
				Prepend: []Message{{Role: "system", Content: "S"}, {Role: "assistant", Content: "ok"}},
				Append:  []Message{{Role: "user", Content: "U"}},
			},
			f: FormatGemini, shaped: true,
			body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"old"}]}}`,
			want: `{"contents":[{"parts":[{"text":"ok"}],"role":"model"},{"role":"user","parts":[{"text":"hi"}]},{"parts":[{"text":"U"}],"role":"user"}],"systemInstruction":{"parts":[{"text":"S"},{"text":"old"}]}}`,
		},
		"gemini snake case system_instruction": {
			s: labShaping, f: FormatGemini, shaped: true,
			body: `{"contents":[],"system_instruction":{"parts":[]}}`,
			want: `{"contents":[{"parts":[{"text":"Be brief."}],"role":"user"}],"system_instruction":{"parts":[{"text":"Answer in CSV."}]}}`,
		},
		"gemini new systemInstruction": {
			s: labShaping, f: FormatGemini, shaped: true,
			body: `{"contents":[]}`,
			want: `{"contents":[{"parts":[{"text":"Be brief."}],"role":"user"}],"systemInstruction":{"parts":[{"text":"Answer in CSV."}]}}`,
		},
		"gemini without contents is unchanged": {
			s: labShaping, f: FormatGemini, body: `{"messages":[]}`, want: `{"messages":[]}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := tc.s.Shape([]byte(tc.body), tc.f)
			require.Equal(t, tc.shaped, ok)
			require.Equal(t, tc.want, string(got))
		})
	}
}

func TestBodyFormat(t *testing.T) {
	for name, tc := range map[string]struct {
		p    snapshotv1.LlmProvider
		path string
		full string
		want Format
	}{
		"openai":                {snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions", "", FormatOpenAI},
		"mistral":               {snapshotv1.LlmProvider_MISTRAL, "/v1/chat/completions", "", FormatOpenAI},
		"anthropic native":      {snapshotv1.LlmProvider_ANTHROPIC, "/v1/messages", "", FormatAnthropic},
		"anthropic openai path": {snapshotv1.LlmProvider_ANTHROPIC, "/v1/chat/completions", "", FormatOpenAI},
		"anthropic full path":   {snapshotv1.LlmProvider_ANTHROPIC, "/anthropic", "/v1/messages", FormatAnthropic},
		"gemini native":         {snapshotv1.LlmProvider_GEMINI, "/v1beta/models/gemini-2.0-flash:generateContent", "", FormatGemini},
		"gemini stream":         {snapshotv1.LlmProvider_GEMINI, "/v1beta/models/g:streamGenerateContent", "", FormatGemini},
		"gemini openai":         {snapshotv1.LlmProvider_GEMINI, "/v1/chat/completions", "", FormatOpenAI},
	} {
		t.Run(name, func(t *testing.T) {
			a, err := Compile(&snapshotv1.LlmUpstream{Provider: tc.p, FullPath: tc.full})
			require.NoError(t, err)
			require.Equal(t, tc.want, a.BodyFormat(tc.path))
		})
	}
}

func TestCompileShaping(t *testing.T) {
	s, err := CompileShaping(nil)
	require.NoError(t, err)
	require.Nil(t, s)
	_, err = CompileShaping(&snapshotv1.AiRequest{Defaults: []*snapshotv1.AiFieldDefault{{Field: "t", ValueJson: "{"}}})
	require.ErrorContains(t, err, "not JSON")
	_, err = CompileShaping(&snapshotv1.AiRequest{Defaults: []*snapshotv1.AiFieldDefault{{ValueJson: "1"}}})
	require.ErrorContains(t, err, "field is empty")
	s, err = CompileShaping(&snapshotv1.AiRequest{Prepend: []*snapshotv1.AiMessage{{Role: "system", Content: "x"}}})
	require.NoError(t, err)
	require.Equal(t, []Message{{Role: "system", Content: "x"}}, s.Prepend)
}

// FuzzShape checks that any body comes out as valid JSON when shaped, or unchanged,
// and never panics.
func FuzzShape(f *testing.F) {
	for _, seed := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`, `{"system":[{"type":"text","text":"x"}],"messages":[]}`,
		`{"contents":[],"systemInstruction":{"parts":null}}`, `{"system_instruction":[],"contents":[]}`, `[]`, `null`, `{`, `{"messages":null}`,
	} {
		f.Add([]byte(seed), uint8(0))
	}
	s := &Shaping{Prepend: labShaping.Prepend, Append: labShaping.Append, Defaults: []FieldDefault{{Field: "temperature", Value: json.RawMessage(`0.2`)}}}
	f.Fuzz(func(t *testing.T, body []byte, format uint8) {
		out, ok := s.Shape(body, Format(format%3))
		if !ok {
			require.Equal(t, body, out)
			return
		}
		require.True(t, json.Valid(out), "shaped body %q is not JSON", out)
	})
}

func TestShapingModel(t *testing.T) {
	var none *Shaping
	require.Equal(t, "a", none.Model("a"))
	soft := &Shaping{Defaults: []FieldDefault{{Field: "model", Value: json.RawMessage(`"d"`)}}}
	require.Equal(t, "a", soft.Model("a"))
	require.Equal(t, "d", soft.Model(""))
	hard := &Shaping{Defaults: []FieldDefault{{Field: "model", Value: json.RawMessage(`"d"`), Override: true}}}
	require.Equal(t, "d", hard.Model("a"))
	odd := &Shaping{Defaults: []FieldDefault{{Field: "model", Value: json.RawMessage(`7`), Override: true}}}
	require.Equal(t, "a", odd.Model("a"))
}
