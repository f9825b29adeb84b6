package llm

// jsonParser parses a JSON text into nodes, in one pass without recursion: the
// containers open at the position are on a stack (16 bytes a level), not the
// goroutine's.
type jsonParser struct {
	src   []byte
	pos   int
	nodes []jsonNode
	open  []openContainer
	// key, keyEnd and keyPlain describe the key read for the member value next.
	key, keyEnd uint32
	keyPlain    bool
}

// openContainer is an object or array being parsed and its last item so far.
type openContainer struct{ node, last int }

// parse parses p.src and reports whether it is one JSON value with white space around.
func (p *jsonParser) parse() bool {
	p.space()
	for {
		item, ok := p.value()
		if !ok {
			return false
		}
		if item {
			continue
		}
		more, ok := p.next()
		if !ok {
			return false
		}
		if !more {
			return p.space() == len(p.src)
		}
	}
}

// value parses the value at p.pos into a new node: a scalar whole, or a container's
// opening (and the key of its first member). It reports whether an item follows (a
// container opened that is not empty), and false for ok when the text is not JSON.
func (p *jsonParser) value() (item, ok bool) {
	if p.pos >= len(p.src) {
		return false, false
	}
	n := p.add()
	switch c := p.src[p.pos]; {
	case c == '{', c == '[':
		return p.push(n, c)
	case c == '"':
		var plain bool
		plain, ok = p.string()
		p.nodes[n].kind, p.nodes[n].plain = jsonString, plain
	case c == '-' || c >= '0' && c <= '9':
		p.nodes[n].kind, ok = jsonNumber, p.number()
	default:
		p.nodes[n].kind, ok = jsonLiteral, p.literal()
	}
	p.nodes[n].end = uint32(p.pos)
	return false, ok
}

// add appends a node at p.pos, the next item of the innermost open container.
func (p *jsonParser) add() int {
	n := len(p.nodes)
	p.nodes = append(p.nodes, jsonNode{start: uint32(p.pos)})
	if len(p.open) == 0 {
		return n
	}
	top := &p.open[len(p.open)-1]
	if top.last == 0 {
		p.nodes[top.node].first = uint32(n)
	} else {
		p.nodes[top.last].next = uint32(n)
	}
	top.last = n
	if p.nodes[top.node].kind == jsonObject {
		p.nodes[n].key, p.nodes[n].keyEnd, p.nodes[n].keyPlain = p.key, p.keyEnd, p.keyPlain
	}
	return n
}

// push opens container n, whose opening byte c is at p.pos, within the depth bound,
// and reports whether an item follows.
func (p *jsonParser) push(n int, c byte) (item, ok bool) {
	if len(p.open) >= maxJSONDepth {
		return false, false
	}
	p.nodes[n].kind = jsonArray
	if c == '{' {
		p.nodes[n].kind = jsonObject
	}
	p.open = append(p.open, openContainer{node: n})
	p.pos++
	if p.space() < len(p.src) && p.src[p.pos] == closing(p.nodes[n].kind) {
		return false, true // empty: next closes it
	}
	return true, c == '[' || p.memberKey()
}

// next parses what follows a value: the closings of the containers it ends, then
// the comma (and key) before the next item. It reports whether an item follows, and
// false for ok when the text is not JSON.
func (p *jsonParser) next() (more, ok bool) {
	for len(p.open) > 0 {
		if p.space() >= len(p.src) {
			return false, false
		}
		top := p.open[len(p.open)-1]
		switch c := p.src[p.pos]; c {
		case ',':
			p.pos++
			p.space()
			if p.nodes[top.node].kind == jsonObject && !p.memberKey() {
				return false, false
			}
			return true, true
		case closing(p.nodes[top.node].kind):
			p.pos++
			p.nodes[top.node].end = uint32(p.pos)
			p.open = p.open[:len(p.open)-1]
		default:
			return false, false
		}
	}
	return false, true
}

// closing is the byte that closes a container of kind k.
func closing(k jsonKind) byte {
	if k == jsonObject {
		return '}'
	}
	return ']'
}

// memberKey parses a member's key and its colon, up to its value.
func (p *jsonParser) memberKey() bool {
	key := p.pos
	if key >= len(p.src) || p.src[key] != '"' {
		return false
	}
	plain, ok := p.string()
	p.key, p.keyEnd, p.keyPlain = uint32(key), uint32(p.pos), plain
	if !ok || p.space() >= len(p.src) || p.src[p.pos] != ':' {
		return false
	}
	p.pos++
	p.space()
	return true
}

// space skips white space and returns the position after it.
func (p *jsonParser) space() int {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return p.pos
		}
	}
	return p.pos
}
