package llm

import (
	"iter"
	"math"
)

// The prompt guard reads and rewrites the texts of bodies in the providers' native
// JSON. It parses a body once into a jsonTree: the spans of its values in the
// original bytes, the members of each object in order with their duplicates. The
// parser is strict: it accepts exactly what encoding/json's json.Valid accepts.

// maxJSONDepth bounds the nesting of the containers parsed, as encoding/json does.
const maxJSONDepth = 10000

// jsonKind is the kind of a JSON value.
type jsonKind uint8

const (
	jsonObject  jsonKind = iota + 1 // {...}
	jsonArray                       // [...]
	jsonString                      // "..."
	jsonNumber                      // -1.5e3
	jsonLiteral                     // true, false, null
)

// jsonNode is one value of a jsonTree, 28 bytes. Nodes refer to each other by their
// index in the tree; 0, the root's index, means none where a child or a sibling is
// meant. Offsets and indexes are 32 bits: a text of 4 GiB or more is not parsed.
type jsonNode struct {
	start, end  uint32 // the value's bytes, quotes included
	key, keyEnd uint32 // a member's key's bytes, quotes included
	first, next uint32 // the first child of a container, the next member or element
	kind        jsonKind
	plain       bool // a string whose bytes are its text: no escape, valid UTF-8
	keyPlain    bool // the same of a member's key
}

// jsonTree is a parsed JSON text: src and its values, the root first.
type jsonTree struct {
	src   []byte
	nodes []jsonNode
	open  []openContainer // the parser's memory, kept for reuse
}

// parse parses src into t, reusing t's memory, and reports whether src is JSON (and
// shorter than 4 GiB).
func (t *jsonTree) parse(src []byte) bool {
	if uint64(len(src)) > math.MaxUint32 {
		return false
	}
	p := jsonParser{src: src, nodes: t.nodes[:0], open: t.open[:0]}
	ok := p.parse()
	t.src, t.nodes, t.open = src, p.nodes, p.open
	return ok
}

// kind is the kind of node n.
func (t *jsonTree) kind(n int) jsonKind { return t.nodes[n].kind }

// isNull reports whether node n is null.
func (t *jsonTree) isNull(n int) bool {
	return t.nodes[n].kind == jsonLiteral && t.src[t.nodes[n].start] == 'n'
}

// raw is the bytes of node n.
func (t *jsonTree) raw(n int) []byte {
	return t.src[t.nodes[n].start:t.nodes[n].end]
}

// keyRaw is the bytes of member n's key between its quotes.
func (t *jsonTree) keyRaw(n int) []byte {
	return t.src[t.nodes[n].key+1 : t.nodes[n].keyEnd-1]
}

// members yields the value of each member key of object n, in order (duplicates
// too); nothing when n is not an object.
func (t *jsonTree) members(n int, key string) iter.Seq[int] {
	return func(yield func(int) bool) {
		if t.nodes[n].kind != jsonObject {
			return
		}
		for c := int(t.nodes[n].first); c != 0; c = int(t.nodes[c].next) {
			if t.keyIs(c, key) && !yield(c) {
				return
			}
		}
	}
}

// lastMember is the value of the last member key of object n (the one
// encoding/json decodes), or 0.
func (t *jsonTree) lastMember(n int, key string) int {
	last := 0
	for v := range t.members(n, key) {
		last = v
	}
	return last
}

// elements yields the position and the node of each element of array n; nothing
// when n is not an array.
func (t *jsonTree) elements(n int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		if t.nodes[n].kind != jsonArray {
			return
		}
		i := 0
		for c := int(t.nodes[n].first); c != 0; c = int(t.nodes[c].next) {
			if !yield(i, c) {
				return
			}
			i++
		}
	}
}

// keyIs reports whether member c's key is key.
func (t *jsonTree) keyIs(c int, key string) bool {
	raw := t.keyRaw(c)
	if t.nodes[c].keyPlain {
		return string(raw) == key
	}
	return unquoteJSON(raw) == key
}

// text is the text of string n, decoded as encoding/json decodes it, and whether n is
// a string.
func (t *jsonTree) text(n int) (string, bool) {
	nd := &t.nodes[n]
	if nd.kind != jsonString {
		return "", false
	}
	raw := t.src[nd.start+1 : nd.end-1] // between the quotes
	if nd.plain {
		return string(raw), true
	}
	return unquoteJSON(raw), true
}

// textIs reports whether n is the string s.
func (t *jsonTree) textIs(n int, s string) bool {
	nd := &t.nodes[n]
	if nd.kind != jsonString {
		return false
	}
	raw := t.src[nd.start+1 : nd.end-1] // between the quotes
	if nd.plain {
		return string(raw) == s
	}
	return unquoteJSON(raw) == s
}
