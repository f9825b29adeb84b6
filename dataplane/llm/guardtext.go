package llm

// Prompt guards see prompts and answers as plain texts whatever the provider's
// format. The functions here walk the texts of a body in the provider's native JSON,
// in order, calling an edit function with each; the body comes back with the texts the
// edit changed spliced in and every other byte as it was. Every copy of a duplicated
// member is walked. Reading is an edit that changes nothing.

// EditPrompt calls edit with the role and text of each text of the prompt in body, in
// format f, in order: OpenAI-style messages (content a string or a list of text parts),
// the Responses API's instructions and input, the legacy completions prompt;
// Anthropic's system and messages; Gemini's systemInstruction and contents. It returns
// the body with the texts edit changed, whether any changed, and false when body is
// not a JSON object (nothing was read).
func EditPrompt(body []byte, f Format, edit func(role, text string) string) (out []byte, changed, ok bool) {
	e, ok := newEditor(body)
	if !ok {
		return body, false, false
	}
	defer e.release()
	if e.t.kind(0) != jsonObject {
		return body, false, false
	}
	sys := func(s string) string { return edit("system", s) }
	switch f {
	case FormatAnthropic:
		for v := range e.t.members(0, "system") {
			e.editContent(v, sys, "text")
		}
		for v := range e.t.members(0, "messages") {
			e.editMessages(v, edit, "content", "text")
		}
	case FormatGemini:
		for _, key := range [...]string{"systemInstruction", "system_instruction"} {
			e.editPath(0, func(p int) { e.editContent(p, sys) }, key, "parts")
		}
		for v := range e.t.members(0, "contents") {
			e.editMessages(v, edit, "parts")
		}
	default:
		e.editOpenAIPrompt(edit)
	}
	return e.result(), e.changed(), true
}

// editOpenAIPrompt edits the texts of an OpenAI-style prompt, the root object.
func (e *jsonEditor) editOpenAIPrompt(edit func(role, text string) string) {
	for v := range e.t.members(0, "messages") {
		e.editMessages(v, edit, "content", "text", "input_text")
	}
	for v := range e.t.members(0, "instructions") {
		e.editString(v, func(s string) string { return edit("system", s) })
	}
	user := func(s string) string { return edit("user", s) }
	for v := range e.t.members(0, "prompt") {
		e.editString(v, user)
	}
	for v := range e.t.members(0, "input") {
		if e.t.kind(v) == jsonString {
			e.editString(v, user)
		} else {
			e.editMessages(v, edit, "content", "text", "input_text")
		}
	}
}

// editMessages edits the texts of a list of messages {role, <key>}, the texts in
// <key> (a string or a list of parts of the given types).
func (e *jsonEditor) editMessages(n int, edit func(role, text string) string, key string, types ...string) {
	for _, msg := range e.t.elements(n) {
		role := e.stringMember(msg, "role")
		for c := range e.t.members(msg, key) {
			e.editContent(c, func(s string) string { return edit(role, s) }, types...)
		}
	}
}

// EditAnswer calls edit with the choice index, role and text of each text of a whole
// answer in body, in format f, in order: OpenAI-style choices (message.content, or
// text of legacy completions) and the Responses API's output; Anthropic's content
// blocks; Gemini's candidates (also a JSON array of them, Gemini's stream without
// alt=sse). It returns the body with the texts edit changed and whether any changed;
// false when body is not JSON.
func EditAnswer(body []byte, f Format, edit func(index int, role, text string) string) (out []byte, changed, ok bool) {
	e, ok := newEditor(body)
	if !ok {
		return body, false, false
	}
	defer e.release()
	if e.t.kind(0) == jsonArray {
		for _, v := range e.t.elements(0) {
			e.editAnswerObject(v, f, edit)
		}
	} else {
		e.editAnswerObject(0, f, edit)
	}
	return e.result(), e.changed(), true
}

// editAnswerObject edits the texts of one whole answer, object n.
func (e *jsonEditor) editAnswerObject(n int, f Format, edit func(index int, role, text string) string) {
	switch f {
	case FormatAnthropic:
		for c := range e.t.members(n, "content") {
			e.editContent(c, func(s string) string { return edit(0, "assistant", s) }, "text")
		}
		return
	case FormatGemini:
		e.editCandidates(n, func(i int, s string) string { return edit(i, "assistant", s) })
		return
	}
	for cs := range e.t.members(n, "choices") {
		for i, c := range e.t.elements(cs) {
			role := "assistant"
			text := func(t string) string { return edit(i, role, t) }
			for m := range e.t.members(c, "message") {
				if r := e.stringMember(m, "role"); r != "" {
					role = r
				}
				for s := range e.t.members(m, "content") {
					e.editContent(s, text, "text")
				}
			}
			for s := range e.t.members(c, "text") {
				e.editString(s, text)
			}
		}
	}
	e.editResponsesOutput(n, edit)
}

// editResponsesOutput edits the output texts of a Responses API answer, object n
// (output[] of messages whose content holds output_text parts), each output item one
// choice.
func (e *jsonEditor) editResponsesOutput(n int, edit func(index int, role, text string) string) {
	for items := range e.t.members(n, "output") {
		for i, item := range e.t.elements(items) {
			for c := range e.t.members(item, "content") {
				e.editContent(c, func(s string) string { return edit(i, "assistant", s) }, "output_text")
			}
		}
	}
}

// editCandidates edits the texts of Gemini's candidates[].content.parts[].text of
// object n.
func (e *jsonEditor) editCandidates(n int, edit func(i int, s string) string) {
	for cs := range e.t.members(n, "candidates") {
		for i, c := range e.t.elements(cs) {
			e.editPath(c, func(p int) {
				e.editContent(p, func(s string) string { return edit(i, s) })
			}, "content", "parts")
		}
	}
}
