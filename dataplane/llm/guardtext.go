package llm

import (
	"encoding/json"
)

// Prompt guards see prompts and answers as plain texts whatever the provider's
// format. The functions here walk the texts of a body in the provider's native JSON,
// in order, calling an edit function with each; the body comes back with the texts the
// edit changed and every other byte of the members it did not touch. Reading is an
// edit that changes nothing.

// EditPrompt calls edit with the role and text of each text of the prompt in body, in
// format f, in order: OpenAI-style messages (content a string or a list of text parts),
// the Responses API's instructions and input, the legacy completions prompt;
// Anthropic's system and messages; Gemini's systemInstruction and contents. It returns
// the body with the texts edit changed, whether any changed, and false when body is
// not a JSON object (nothing was read).
func EditPrompt(body []byte, f Format, edit func(role, text string) string) (out []byte, changed, ok bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || obj == nil {
		return body, false, false
	}
	edits := 0
	set := func(key string, v json.RawMessage, c bool) {
		if c {
			obj[key], edits = v, edits+1
		}
	}
	sys := func(s string) string { return edit("system", s) }
	switch f {
	case FormatAnthropic:
		if raw, has := obj["system"]; has {
			v, c := editContent(raw, sys, "text")
			set("system", v, c)
		}
		if raw, has := obj["messages"]; has {
			v, c := editMessages(raw, edit, "content", "text")
			set("messages", v, c)
		}
	case FormatGemini:
		for _, key := range []string{"systemInstruction", "system_instruction"} {
			if raw, has := obj[key]; has {
				v, c := editMember(raw, "parts", func(p json.RawMessage) (json.RawMessage, bool) { return editContent(p, sys) })
				set(key, v, c)
			}
		}
		if raw, has := obj["contents"]; has {
			v, c := editMessages(raw, edit, "parts")
			set("contents", v, c)
		}
	default:
		edits += editOpenAIPrompt(obj, edit)
	}
	if edits == 0 {
		return body, false, true
	}
	b, err := encodeJSON(obj)
	if err != nil {
		return body, false, true
	}
	return b, true, true
}

// editOpenAIPrompt edits the texts of an OpenAI-style prompt in obj, and returns how
// many members changed.
func editOpenAIPrompt(obj map[string]json.RawMessage, edit func(role, text string) string) int {
	edits := 0
	try := func(key string, f func(json.RawMessage) (json.RawMessage, bool)) {
		if raw, has := obj[key]; has {
			if v, c := f(raw); c {
				obj[key], edits = v, edits+1
			}
		}
	}
	try("messages", func(raw json.RawMessage) (json.RawMessage, bool) {
		return editMessages(raw, edit, "content", "text", "input_text")
	})
	try("instructions", func(raw json.RawMessage) (json.RawMessage, bool) {
		return editString(raw, func(s string) string { return edit("system", s) })
	})
	user := func(s string) string { return edit("user", s) }
	try("prompt", func(raw json.RawMessage) (json.RawMessage, bool) { return editString(raw, user) })
	try("input", func(raw json.RawMessage) (json.RawMessage, bool) {
		if len(raw) > 0 && raw[0] == '"' {
			return editString(raw, user)
		}
		return editMessages(raw, edit, "content", "text", "input_text")
	})
	return edits
}

// editMessages edits the texts of a list of messages {role, <key>}, the texts in
// <key> (a string or a list of parts of the given types).
func editMessages(raw json.RawMessage, edit func(role, text string) string, key string, types ...string) (json.RawMessage, bool) {
	return editElements(raw, func(_ int, msg json.RawMessage) (json.RawMessage, bool) {
		role := stringMember(msg, "role")
		return editMember(msg, key, func(c json.RawMessage) (json.RawMessage, bool) {
			return editContent(c, func(s string) string { return edit(role, s) }, types...)
		})
	})
}

// EditAnswer calls edit with the choice index, role and text of each text of a whole
// answer in body, in format f, in order: OpenAI-style choices (message.content, or
// text of legacy completions) and the Responses API's output; Anthropic's content
// blocks; Gemini's candidates (also a JSON array of them, Gemini's stream without
// alt=sse). It returns the body with the texts edit changed and whether any changed;
// false when body is not JSON.
func EditAnswer(body []byte, f Format, edit func(index int, role, text string) string) (out []byte, changed, ok bool) {
	if !json.Valid(body) {
		return body, false, false
	}
	raw := json.RawMessage(body)
	if len(body) > 0 && body[0] == '[' {
		out, changed = editElements(raw, func(_ int, e json.RawMessage) (json.RawMessage, bool) { return editAnswerObject(e, f, edit) })
	} else {
		out, changed = editAnswerObject(raw, f, edit)
	}
	return out, changed, true
}

func editAnswerObject(raw json.RawMessage, f Format, edit func(index int, role, text string) string) (json.RawMessage, bool) {
	switch f {
	case FormatAnthropic:
		return editMember(raw, "content", func(c json.RawMessage) (json.RawMessage, bool) {
			return editContent(c, func(s string) string { return edit(0, "assistant", s) }, "text")
		})
	case FormatGemini:
		return editCandidates(raw, func(i int, s string) string { return edit(i, "assistant", s) })
	}
	out, changed := editMember(raw, "choices", func(cs json.RawMessage) (json.RawMessage, bool) {
		return editElements(cs, func(i int, c json.RawMessage) (json.RawMessage, bool) {
			role := "assistant"
			v, ch := editMember(c, "message", func(m json.RawMessage) (json.RawMessage, bool) {
				if r := stringMember(m, "role"); r != "" {
					role = r
				}
				return editMember(m, "content", func(s json.RawMessage) (json.RawMessage, bool) {
					return editContent(s, func(t string) string { return edit(i, role, t) }, "text")
				})
			})
			if v2, ch2 := editMember(v, "text", func(s json.RawMessage) (json.RawMessage, bool) {
				return editString(s, func(t string) string { return edit(i, role, t) })
			}); ch2 {
				v, ch = v2, true
			}
			return v, ch
		})
	})
	if v, c := editResponsesOutput(out, edit); c {
		return v, true
	}
	return out, changed
}

// editResponsesOutput edits the output texts of a Responses API answer (output[] of
// messages whose content holds output_text parts), each output item one choice.
func editResponsesOutput(raw json.RawMessage, edit func(index int, role, text string) string) (json.RawMessage, bool) {
	return editMember(raw, "output", func(items json.RawMessage) (json.RawMessage, bool) {
		return editElements(items, func(i int, item json.RawMessage) (json.RawMessage, bool) {
			return editMember(item, "content", func(c json.RawMessage) (json.RawMessage, bool) {
				return editContent(c, func(s string) string { return edit(i, "assistant", s) }, "output_text")
			})
		})
	})
}

// editCandidates edits the texts of Gemini's candidates[].content.parts[].text.
func editCandidates(raw json.RawMessage, edit func(i int, s string) string) (json.RawMessage, bool) {
	return editMember(raw, "candidates", func(cs json.RawMessage) (json.RawMessage, bool) {
		return editElements(cs, func(i int, c json.RawMessage) (json.RawMessage, bool) {
			return editPath(c, func(p json.RawMessage) (json.RawMessage, bool) {
				return editContent(p, func(s string) string { return edit(i, s) })
			}, "content", "parts")
		})
	})
}
