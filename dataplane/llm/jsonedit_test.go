package llm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEditDuplicates: every copy of a duplicated member the guard reads is read and
// edited, in order, whichever copy the provider's parser takes.
func TestEditDuplicates(t *testing.T) {
	for name, tc := range map[string]struct {
		f          Format
		body, want string
		seen       []string
	}{
		"openai messages twice": {
			FormatOpenAI,
			`{"messages":[{"role":"user","content":"a"}],"model":"m","messages":[{"role":"user","content":"b"}]}`,
			`{"messages":[{"role":"user","content":"A"}],"model":"m","messages":[{"role":"user","content":"B"}]}`,
			[]string{"user:a", "user:b"},
		},
		"content and text twice": {
			FormatOpenAI,
			`{"messages":[{"role":"user","content":"a","content":[{"type":"text","text":"b","text":"c"}]}]}`,
			`{"messages":[{"role":"user","content":"A","content":[{"type":"text","text":"B","text":"C"}]}]}`,
			[]string{"user:a", "user:b", "user:c"},
		},
		"a part typed twice is read when either type is text": {
			FormatOpenAI,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"a","type":"image_url"}]}]}`,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"A","type":"image_url"}]}]}`,
			[]string{"user:a"},
		},
		"anthropic system and messages twice": {
			FormatAnthropic,
			`{"system":"s","messages":[{"role":"user","content":"a"}],"system":"t","messages":[{"role":"user","content":"b"}]}`,
			`{"system":"S","messages":[{"role":"user","content":"A"}],"system":"T","messages":[{"role":"user","content":"B"}]}`,
			[]string{"system:s", "system:t", "user:a", "user:b"},
		},
		"gemini contents and parts twice": {
			FormatGemini,
			`{"contents":[{"role":"user","parts":[{"text":"a"}],"parts":[{"text":"b"}]}],"contents":[{"role":"user","parts":[{"text":"c"}]}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"A"}],"parts":[{"text":"B"}]}],"contents":[{"role":"user","parts":[{"text":"C"}]}]}`,
			[]string{"user:a", "user:b", "user:c"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			var s seen
			out, changed, ok := EditPrompt([]byte(tc.body), tc.f, s.prompt)
			require.True(t, ok)
			require.True(t, changed)
			require.Equal(t, tc.want, string(out))
			require.Equal(t, tc.seen, s.got)
		})
	}
}

func TestEditAnswerDuplicates(t *testing.T) {
	body := `{"choices":[{"index":0,"message":{"role":"assistant","content":"a"}}],"choices":[{"index":0,"message":{"content":"b","content":"c"}}]}`
	var got []string
	out, changed, ok := EditAnswer([]byte(body), FormatOpenAI, func(_ int, _, s string) string {
		got = append(got, s)
		return strings.ToUpper(s)
	})
	require.True(t, ok)
	require.True(t, changed)
	require.Equal(t, []string{"a", "b", "c"}, got)
	require.Equal(t, `{"choices":[{"index":0,"message":{"role":"assistant","content":"A"}}],"choices":[{"index":0,"message":{"content":"B","content":"C"}}]}`, string(out))
}

// TestEditKeepsBytes: an edit changes only the strings it changes; member order,
// white space, numbers as written and other members stay byte for byte.
func TestEditKeepsBytes(t *testing.T) {
	body := "{ \"z\" : 1.50e1 ,\n \"messages\" : [ {\"content\":\"keep\" , \"role\":\"user\"},\n" +
		"  {\"role\":\"user\",\"content\" :\t\"change \\u00e9\"} ],\"a\":{\"b\":[ ]} }\n"
	out, changed, ok := EditPrompt([]byte(body), FormatOpenAI, func(_, s string) string {
		if s == "change é" {
			return "<new> & \"é\"\n\u2028"
		}
		return s
	})
	require.True(t, ok)
	require.True(t, changed)
	require.Equal(t, strings.Replace(body, `"change \u00e9"`, `"<new> & \"é\"\n\u2028"`, 1), string(out))
}

// TestEditUnchanged: reading returns the very body.
func TestEditUnchanged(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":"x"}], "messages":[]}`)
	out, changed, ok := EditPrompt(body, FormatOpenAI, func(_, s string) string { return s })
	require.True(t, ok)
	require.False(t, changed)
	require.Equal(t, &body[0], &out[0])
	for _, bad := range []string{`{"messages":[]} x`, `{"a":"\x"}`, `{"a":01}`, `{"a":1,}`} {
		_, _, ok = EditPrompt([]byte(bad), FormatOpenAI, func(_, s string) string { return s })
		require.False(t, ok, bad)
		_, _, ok = EditAnswer([]byte(bad), FormatOpenAI, func(_ int, _, s string) string { return s })
		require.False(t, ok, bad)
	}
}
