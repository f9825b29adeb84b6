package llm

import (
	"encoding/json"
	"strings"
)

// shapeAnthropic adds the messages to an Anthropic messages API body: system messages
// to the top-level system (a string, or a list of content blocks), the others to
// messages.
func (s *Shaping) shapeAnthropic(obj map[string]json.RawMessage) error {
	preSys, pre := split(s.Prepend)
	postSys, post := split(s.Append)
	if err := addMessages(obj, "messages", pre, post, openAIMessage); err != nil {
		return err
	}
	if len(preSys)+len(postSys) == 0 {
		return nil
	}
	raw, ok := obj["system"]
	if !ok || string(raw) == "null" {
		return setJSON(obj, "system", strings.Join(append(preSys, postSys...), "\n"))
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		parts := append([]string{}, preSys...)
		if text != "" {
			parts = append(parts, text)
		}
		return setJSON(obj, "system", strings.Join(append(parts, postSys...), "\n"))
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil || blocks == nil {
		return errNotShaped
	}
	return setJSON(obj, "system", aroundText(blocks, preSys, postSys, "type", "text"))
}

// aroundText puts text blocks ({"text": ...}, with kindKey: kind when set) before and
// after blocks.
func aroundText(blocks []json.RawMessage, pre, post []string, kindKey, kind string) []json.RawMessage {
	block := func(t string) json.RawMessage {
		m := map[string]string{"text": t}
		if kindKey != "" {
			m[kindKey] = kind
		}
		return mustJSON(m)
	}
	return surround(pre, blocks, post, block)
}

// geminiRoles maps chat roles to Gemini's.
var geminiRoles = map[string]string{"user": "user", "assistant": "model", "model": "model"}

func geminiContent(m Message) json.RawMessage {
	role, ok := geminiRoles[strings.ToLower(m.Role)]
	if !ok {
		role = m.Role
	}
	return mustJSON(map[string]any{"role": role, "parts": []map[string]string{{"text": m.Content}}})
}

// shapeGemini adds the messages to a Gemini generateContent body: system messages to
// systemInstruction's parts, the others to contents.
func (s *Shaping) shapeGemini(obj map[string]json.RawMessage) error {
	preSys, pre := split(s.Prepend)
	postSys, post := split(s.Append)
	if _, ok := obj["contents"]; !ok {
		return errNotShaped
	}
	if err := addMessages(obj, "contents", pre, post, geminiContent); err != nil {
		return err
	}
	if len(preSys)+len(postSys) == 0 {
		return nil
	}
	key := "systemInstruction"
	if _, ok := obj[key]; !ok {
		if _, snake := obj["system_instruction"]; snake {
			key = "system_instruction"
		}
	}
	var inst map[string]json.RawMessage
	if raw, ok := obj[key]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &inst); err != nil || inst == nil {
			return errNotShaped
		}
	} else {
		inst = map[string]json.RawMessage{}
	}
	var parts []json.RawMessage
	if raw, ok := inst["parts"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &parts); err != nil {
			return errNotShaped
		}
	}
	if err := setJSON(inst, "parts", aroundText(parts, preSys, postSys, "", "")); err != nil {
		return err
	}
	return setJSON(obj, key, inst)
}
