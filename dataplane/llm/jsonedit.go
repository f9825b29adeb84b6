package llm

import (
	"encoding/json"
)

// The prompt guard reads and rewrites the text of prompts and answers in each
// provider's native JSON (guardtext.go). These helpers edit one JSON value along a
// path: a value they do not change keeps its bytes, and an object they change keeps its
// other members' bytes (its members are written in sorted order).

// editFunc edits one JSON value and reports whether it changed it.
type editFunc func(raw json.RawMessage) (json.RawMessage, bool)

// editMember edits obj[key] of the JSON object raw, when raw is an object with that
// member.
func editMember(raw json.RawMessage, key string, f editFunc) (json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return raw, false
	}
	v, ok := obj[key]
	if !ok {
		return raw, false
	}
	nv, changed := f(v)
	if !changed {
		return raw, false
	}
	obj[key] = nv
	out, err := encodeJSON(obj)
	if err != nil {
		return raw, false
	}
	return out, true
}

// editElements edits each element of the JSON array raw, with its position.
func editElements(raw json.RawMessage, f func(i int, elem json.RawMessage) (json.RawMessage, bool)) (json.RawMessage, bool) {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || list == nil {
		return raw, false
	}
	changed := false
	for i, e := range list {
		if ne, c := f(i, e); c {
			list[i], changed = ne, true
		}
	}
	if !changed {
		return raw, false
	}
	out, err := encodeJSON(list)
	if err != nil {
		return raw, false
	}
	return out, true
}

// editString edits the JSON string raw; other values are left alone.
func editString(raw json.RawMessage, f func(string) string) (json.RawMessage, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return raw, false
	}
	ns := f(s)
	if ns == s {
		return raw, false
	}
	out, err := encodeJSON(ns)
	if err != nil {
		return raw, false
	}
	return out, true
}

// stringMember is the string obj[key] of the JSON object raw, or "".
func stringMember(raw json.RawMessage, key string) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(obj[key], &s)
	return s
}

// hasMember reports whether the JSON object raw has a non-null member key.
func hasMember(raw json.RawMessage, key string) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return false
	}
	v, ok := obj[key]
	return ok && string(v) != "null"
}

// editPath edits the value at a path of members below raw.
func editPath(raw json.RawMessage, f editFunc, keys ...string) (json.RawMessage, bool) {
	if len(keys) == 0 {
		return f(raw)
	}
	return editMember(raw, keys[0], func(v json.RawMessage) (json.RawMessage, bool) {
		return editPath(v, f, keys[1:]...)
	})
}

// editContent edits a message's content: a string, or a list of parts whose text
// member (for parts of a type in types, or of no type) is edited.
func editContent(raw json.RawMessage, f func(string) string, types ...string) (json.RawMessage, bool) {
	if len(raw) > 0 && raw[0] == '"' {
		return editString(raw, f)
	}
	return editElements(raw, func(_ int, part json.RawMessage) (json.RawMessage, bool) {
		if t := stringMember(part, "type"); t != "" && !contains(types, t) {
			return part, false
		}
		return editMember(part, "text", func(v json.RawMessage) (json.RawMessage, bool) { return editString(v, f) })
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
