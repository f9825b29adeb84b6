package llm

import "strings"

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
	e, ok := newEditor(data)
	if !ok {
		return data, 0
	}
	defer e.release()
	count := func(i int, s string, final bool) string {
		texts++
		return edit(i, s, final)
	}
	switch f {
	case FormatAnthropic:
		if !e.hasString(0, "type", "content_block_delta") {
			return data, 0
		}
		i := e.intMember(0, "index")
		for d := range e.t.members(0, "delta") {
			if !e.hasString(d, "type", "text_delta") {
				continue
			}
			for s := range e.t.members(d, "text") {
				e.editString(s, func(t string) string { return count(i, t, false) })
			}
		}
	case FormatGemini:
		e.editCandidatesDelta(count)
	default:
		e.editOpenAIDelta(count)
	}
	return e.result(), texts
}

// editOpenAIDelta edits the texts of an OpenAI-style chunk, the root object.
func (e *jsonEditor) editOpenAIDelta(edit DeltaEdit) {
	if e.stringMember(0, "type") == "response.output_text.delta" {
		i := e.intMember(0, "output_index")
		for s := range e.t.members(0, "delta") {
			e.editString(s, func(t string) string { return edit(i, t, false) })
		}
		return
	}
	for cs := range e.t.members(0, "choices") {
		for k, c := range e.t.elements(cs) {
			i := k
			if e.hasMember(c, "index") {
				i = e.intMember(c, "index")
			}
			final := e.hasMember(c, "finish_reason")
			text := func(s int) {
				e.editString(s, func(t string) string { return edit(i, t, final) })
			}
			e.editPath(c, text, "delta", "content")
			e.editPath(c, text, "text")
		}
	}
}

// editCandidatesDelta edits the texts of a Gemini chunk, the root object.
func (e *jsonEditor) editCandidatesDelta(edit DeltaEdit) {
	for cs := range e.t.members(0, "candidates") {
		for k, c := range e.t.elements(cs) {
			i := k
			if e.hasMember(c, "index") {
				i = e.intMember(c, "index")
			}
			final := e.hasMember(c, "finishReason")
			e.editPath(c, func(p int) {
				e.editContent(p, func(s string) string { return edit(i, s, final) })
			}, "content", "parts")
		}
	}
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
	e, ok := newEditor(data)
	if !ok {
		return data, false
	}
	defer e.release()
	if !strings.HasPrefix(e.stringMember(0, "type"), "response.") {
		return data, false
	}
	str := func(s int) { e.editString(s, edit) }
	e.editPath(0, str, "text")
	e.editPath(0, str, "part", "text")
	e.editPath(0, func(c int) { e.editContent(c, edit, "output_text") }, "item", "content")
	for r := range e.t.members(0, "response") {
		e.editResponsesOutput(r, func(_ int, _, s string) string { return edit(s) })
	}
	return e.result(), e.changed()
}
