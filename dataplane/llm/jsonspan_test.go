package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonSpanCases are tricky JSON texts, valid and not; json.Valid is the reference.
var jsonSpanCases = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `nulll`, `truefalse`, `True`,
	`0`, `-0`, `01`, `-01`, `1.`, `.1`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-`, `+1`,
	`1.5e3`, `0.0e0`, `00`, `1 2`, `123abc`, `-a`,
	`""`, `"`, `"a`, `"\"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\x"`, `"\u"`, `"\u12"`, `"\u12g4"`,
	`"\u00e9"`, `"\uD83D\uDE00"`, `"\uD83D"`, `"\uDE00\uD83D"`, `"\uD83Dx"`, `"\uD83D\u0041"`,
	`"\uD83D\uD83D\uDE00"`, "\"a\x01b\"", "\"a\tb\"", "\"a\x7fb\"", "\"\xff\xfe\"", "\"\xed\xa0\x80\"",
	"\"é€😀\"", "\"\xc3\"", `"a"b`, `"\'"`,
	`{}`, `[]`, `{ }`, `[ ]`, `{"a":1}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{a:1}`,
	`{"a":1 "b":2}`, `[1 2]`, `{"a":1}}`, `[[]`, `[]]`, `{"a":[1,{"b":null}],"a":"dup"}`,
	" \t\r\n{\"a\" : [ 1 , 2 ] }\n ", "\v{}", "{}\x00", `{"a":1}x`, `[1]  [2]`, `{"\u0061":1}`,
	`{"a":"b","c":{"d":[true,false,null,-1.5e-3]}}`, `[` + `"` + strings.Repeat("x", 100) + `"]`,
	"\xef\xbb\xbf{}", `{"a" :1}`, `{"a": 1, "b" : [ ] }`,
}

func TestJSONSpanValidity(t *testing.T) {
	for _, c := range jsonSpanCases {
		var tr jsonTree
		require.Equal(t, json.Valid([]byte(c)), tr.parse([]byte(c)), "%q", c)
	}
}

func TestJSONSpanDepth(t *testing.T) {
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		body := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		var tr jsonTree
		require.Equal(t, json.Valid(body), tr.parse(body), "depth %d", depth)
		body = []byte(strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth))
		require.Equal(t, json.Valid(body), tr.parse(body), "object depth %d", depth)
	}
}

func TestJSONSpanStrings(t *testing.T) {
	for _, c := range jsonSpanCases {
		checkStrings(t, []byte(c))
	}
}

func TestJSONSpanTree(t *testing.T) {
	body := []byte(` {"a": [1, "x", {"b":null}], "a" : "y", "c": true} `)
	var tr jsonTree
	require.True(t, tr.parse(body))
	var as []string
	for v := range tr.members(0, "a") {
		as = append(as, string(tr.raw(v)))
	}
	require.Equal(t, []string{`[1, "x", {"b":null}]`, `"y"`}, as)
	var kinds []jsonKind
	for i, v := range tr.elements(int(tr.nodes[0].first)) {
		require.Len(t, kinds, i)
		kinds = append(kinds, tr.kind(v))
	}
	require.Equal(t, []jsonKind{jsonNumber, jsonString, jsonObject}, kinds)
	require.Equal(t, `"y"`, string(tr.raw(tr.lastMember(0, "a"))), "the last copy, the one encoding/json takes")
	require.Zero(t, tr.lastMember(0, "b"))
}

// checkStrings asserts that the strings of body, read through its tree, are the ones
// encoding/json decodes, in order, and that an identity edit keeps body byte for byte.
func checkStrings(t *testing.T, body []byte) {
	t.Helper()
	var tr jsonTree
	if !tr.parse(body) {
		return
	}
	var got []string
	for n := range tr.nodes {
		if tr.nodes[n].keyEnd > 0 { // a member: its key first
			got = append(got, unquoteJSON(tr.keyRaw(n)))
		}
		if s, ok := tr.text(n); ok {
			got = append(got, s)
		}
	}
	require.Equal(t, decodedStrings(t, body), got, "%q", body)
	e, ok := newEditor(body)
	require.True(t, ok)
	defer e.release()
	for n := range e.t.nodes {
		e.editString(n, func(s string) string { return s })
	}
	require.Equal(t, string(body), string(e.result()))
}

// decodedStrings is every key and string of body, in order, as encoding/json decodes
// them.
func decodedStrings(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var out []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		if s, ok := tok.(string); ok {
			out = append(out, s)
		}
	}
}

func FuzzJSONSpan(f *testing.F) {
	for _, c := range jsonSpanCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var tr jsonTree
		ok := tr.parse(body)
		require.Equal(t, json.Valid(body), ok, "%q", body)
		if !ok {
			return
		}
		checkStrings(t, body)
		out, changed, _ := EditAnswer(body, FormatOpenAI, func(_ int, _, s string) string { return s })
		require.False(t, changed)
		require.Equal(t, string(body), string(out))
	})
}

// TestPlainRun: the eight-byte scan stops where the byte-by-byte one does.
func TestPlainRun(t *testing.T) {
	for c := range 256 {
		for at := range 20 {
			s := []byte(strings.Repeat("a", 20))
			s[at] = byte(c)
			want := 20
			if stringSpecial[c] {
				want = at
			}
			require.Equal(t, want, plainRun(s, 0), "byte %#x at %d", c, at)
		}
	}
}
