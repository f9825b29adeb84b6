package llm

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
)

// The prompt guard reads and rewrites the texts of prompts and answers in each
// provider's native JSON (guardtext.go). A jsonEditor parses a body once (jsonspan.go)
// and edits string values in place: each changed string is spliced into the original
// bytes, so every other byte (member order, white space, duplicated members) is kept.
// The helpers visit every occurrence of a duplicated member they look for, in order,
// so a guard sees each copy whichever one the provider's parser takes.

// jsonEditor is a parsed body and the edits made to its strings.
type jsonEditor struct {
	t       jsonTree
	splices []textSplice
}

// textSplice replaces the bytes src[start:end] of the body with text.
type textSplice struct {
	start, end int
	text       []byte
}

// maxPooledNodes bounds the nodes of an editor kept for reuse.
const maxPooledNodes = 4096

var editorPool = sync.Pool{New: func() any { return new(jsonEditor) }}

// newEditor parses body and reports whether it is JSON. The editor goes back with
// release; the body must not change meanwhile.
func newEditor(body []byte) (*jsonEditor, bool) {
	e, _ := editorPool.Get().(*jsonEditor)
	if e == nil {
		e = new(jsonEditor)
	}
	if !e.t.parse(body) {
		e.release()
		return nil, false
	}
	return e, true
}

// release returns e for reuse.
func (e *jsonEditor) release() {
	if cap(e.t.nodes) > maxPooledNodes || cap(e.t.open) > maxPooledNodes {
		return
	}
	clear(e.splices)
	e.t.src, e.t.nodes, e.t.open, e.splices = nil, e.t.nodes[:0], e.t.open[:0], e.splices[:0]
	editorPool.Put(e)
}

// changed reports whether a string was changed.
func (e *jsonEditor) changed() bool { return len(e.splices) > 0 }

// result is the body with the changed strings, the body itself when none changed.
func (e *jsonEditor) result() []byte {
	src := e.t.src
	if len(e.splices) == 0 {
		return src
	}
	slices.SortStableFunc(e.splices, func(a, b textSplice) int { return cmp.Compare(a.start, b.start) })
	size := len(src)
	for _, sp := range e.splices {
		size += len(sp.text) - (sp.end - sp.start)
	}
	out, at := make([]byte, 0, size), 0
	for _, sp := range e.splices {
		if sp.start < at { // the same string edited twice: the first edit stands
			continue
		}
		out = append(append(out, src[at:sp.start]...), sp.text...)
		at = sp.end
	}
	return append(out, src[at:]...)
}

// editString edits string n with f; other values are left alone.
func (e *jsonEditor) editString(n int, f func(string) string) {
	s, ok := e.t.text(n)
	if !ok {
		return
	}
	ns := f(s)
	if ns == s {
		return
	}
	b, err := encodeJSON(ns)
	if err != nil {
		return
	}
	nd := &e.t.nodes[n]
	e.splices = append(e.splices, textSplice{start: int(nd.start), end: int(nd.end), text: b})
}

// editPath calls f with each value at a path of members below n (every occurrence of
// a duplicated member at each step).
func (e *jsonEditor) editPath(n int, f func(int), keys ...string) {
	if len(keys) == 0 {
		f(n)
		return
	}
	for v := range e.t.members(n, keys[0]) {
		e.editPath(v, f, keys[1:]...)
	}
}

// editContent edits a message's content: a string, or a list of parts whose text
// members (for parts of a type in types, or of no type) are edited.
func (e *jsonEditor) editContent(n int, f func(string) string, types ...string) {
	if e.t.kind(n) == jsonString {
		e.editString(n, f)
		return
	}
	for _, part := range e.t.elements(n) {
		if !e.partOf(part, types) {
			continue
		}
		for v := range e.t.members(part, "text") {
			e.editString(v, f)
		}
	}
}

// partOf reports whether part has no type, or one of types. A part whose type is
// duplicated is taken when any of its types is one of them (or not a non-empty
// string), whichever the provider reads.
func (e *jsonEditor) partOf(part int, types []string) bool {
	typed := false
	for v := range e.t.members(part, "type") {
		if e.t.kind(v) != jsonString || e.t.textIs(v, "") {
			return true
		}
		for _, t := range types {
			if e.t.textIs(v, t) {
				return true
			}
		}
		typed = true
	}
	return !typed
}

// hasString reports whether a member key of object n is the string s.
func (e *jsonEditor) hasString(n int, key, s string) bool {
	for v := range e.t.members(n, key) {
		if e.t.textIs(v, s) {
			return true
		}
	}
	return false
}

// stringMember is the string member key of object n (the last of duplicates, as
// encoding/json decodes it), or "".
func (e *jsonEditor) stringMember(n int, key string) string {
	v := e.t.lastMember(n, key)
	if v == 0 {
		return ""
	}
	for _, known := range [...]string{"user", "assistant", "system", "model"} {
		if e.t.textIs(v, known) {
			return known
		}
	}
	s, _ := e.t.text(v)
	return s
}

// hasMember reports whether object n has a non-null member key (the last of
// duplicates).
func (e *jsonEditor) hasMember(n int, key string) bool {
	v := e.t.lastMember(n, key)
	return v != 0 && !e.t.isNull(v)
}

// intMember is the integer member key of object n (the last of duplicates), or 0.
func (e *jsonEditor) intMember(n int, key string) int {
	v := e.t.lastMember(n, key)
	if v == 0 || e.t.kind(v) != jsonNumber {
		return 0
	}
	i, err := strconv.Atoi(string(e.t.raw(v)))
	if err != nil {
		return 0
	}
	return i
}
