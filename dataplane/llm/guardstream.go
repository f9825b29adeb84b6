package llm

import (
	"encoding/json"
)

// DeltaEdit edits one text of a streamed answer's event: index is the choice (or
// content block, or candidate) it belongs to, final is set when the event ends that
// choice (a finish reason comes with it). It returns the text the event carries now.
type DeltaEdit func(index int, text string, final bool) string

// EditDelta calls edit with each text an event of a streamed answer adds, in format f:
// OpenAI-style chunks (choices[].delta.content, choices[].text of legacy completions,
// the Responses API's response.output_text.delta), Anthropic's content_block_delta
// text deltas, Gemini's candidates[].content.parts[].text. data is the event's data
// (JSON). It returns the data with the texts edit changed, and how many texts the
// event carried (0: an event without text, such as a role, a finish or usage).
func EditDelta(data []byte, f Format, edit DeltaEdit) (out []byte, texts int) {
	raw := json.RawMessage(data)
	count := func(i int, s string, final bool) string {
		texts++
		return edit(i, s, final)
	}
	var changed bool
	switch f {
	case FormatAnthropic:
		if stringMember(raw, "type") != "content_block_delta" {
			return data, 0
		}
		i := intMember(raw, "index")
		out, changed = editMember(raw, "delta", func(d json.RawMessage) (json.RawMessage, bool) {
			if stringMember(d, "type") != "text_delta" {
				return d, false
			}
			return editMember(d, "text", func(s json.RawMessage) (json.RawMessage, bool) {
				return editString(s, func(t string) string { return count(i, t, false) })
			})
		})
	case FormatGemini:
		out, changed = editCandidatesDelta(raw, count)
	default:
		out, changed = editOpenAIDelta(raw, count)
	}
	if !changed {
		return data, texts
	}
	return out, texts
}

func editOpenAIDelta(raw json.RawMessage, edit DeltaEdit) (json.RawMessage, bool) {
	if stringMember(raw, "type") == "response.output_text.delta" {
		i := intMember(raw, "output_index")
		return editMember(raw, "delta", func(s json.RawMessage) (json.RawMessage, bool) {
			return editString(s, func(t string) string { return edit(i, t, false) })
		})
	}
	return editMember(raw, "choices", func(cs json.RawMessage) (json.RawMessage, bool) {
		return editElements(cs, func(k int, c json.RawMessage) (json.RawMessage, bool) {
			i := k
			if hasMember(c, "index") {
				i = intMember(c, "index")
			}
			final := hasMember(c, "finish_reason")
			text := func(s json.RawMessage) (json.RawMessage, bool) {
				return editString(s, func(t string) string { return edit(i, t, final) })
			}
			v, ch := editPath(c, text, "delta", "content")
			if v2, ch2 := editMember(v, "text", text); ch2 {
				v, ch = v2, true
			}
			return v, ch
		})
	})
}

func editCandidatesDelta(raw json.RawMessage, edit DeltaEdit) (json.RawMessage, bool) {
	return editMember(raw, "candidates", func(cs json.RawMessage) (json.RawMessage, bool) {
		return editElements(cs, func(k int, c json.RawMessage) (json.RawMessage, bool) {
			i := k
			if hasMember(c, "index") {
				i = intMember(c, "index")
			}
			final := hasMember(c, "finishReason")
			return editPath(c, func(p json.RawMessage) (json.RawMessage, bool) {
				return editContent(p, func(s string) string { return edit(i, s, final) })
			}, "content", "parts")
		})
	})
}

// EditStreamText calls edit with each whole text an event of a streamed answer
// repeats: the Responses API sends the full text again when a part, an item or the
// response is done (text, part.text, item.content[].text, response.output[]). Such
// texts are edited whole, never held. It returns the data with the texts edit changed
// and whether any changed.
func EditStreamText(data []byte, f Format, edit func(text string) string) ([]byte, bool) {
	if f != FormatOpenAI {
		return data, false
	}
	raw := json.RawMessage(data)
	t := stringMember(raw, "type")
	if len(t) < len("response.") || t[:len("response.")] != "response." {
		return data, false
	}
	str := func(s json.RawMessage) (json.RawMessage, bool) { return editString(s, edit) }
	parts := func(c json.RawMessage) (json.RawMessage, bool) { return editContent(c, edit, "output_text") }
	out, changed := editMember(raw, "text", str)
	for _, e := range []struct {
		f    editFunc
		keys []string
	}{{str, []string{"part", "text"}}, {parts, []string{"item", "content"}}} {
		if v, c := editPath(out, e.f, e.keys...); c {
			out, changed = v, true
		}
	}
	if v, c := editMember(out, "response", func(r json.RawMessage) (json.RawMessage, bool) {
		return editResponsesOutput(r, func(_ int, _, s string) string { return edit(s) })
	}); c {
		out, changed = v, true
	}
	return out, changed
}

// intMember is the integer obj[key] of the JSON object raw, or 0.
func intMember(raw json.RawMessage, key string) int {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return 0
	}
	var n int
	_ = json.Unmarshal(obj[key], &n)
	return n
}
