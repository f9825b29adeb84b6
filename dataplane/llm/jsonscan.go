package llm

import (
	"bytes"
	"sync"
)

// maxUsageObject bounds the bytes of one usage object kept to decode it; a larger one is
// ignored.
const maxUsageObject = 4 << 10

// maxDepth is the nesting the scanner tells objects from arrays for; deeper containers
// are followed, never read into.
const maxDepth = 64

// member names the object members the scanner acts on.
type member uint8

const (
	memberOther    member = iota
	memberUsage           // usage, usageMetadata: the counts
	memberChoices         // choices: an empty array marks OpenAI's usage-only chunk
	memberMessage         // message: Anthropic's message_start holds its usage here
	memberResponse        // response: OpenAI's Responses API events hold their usage here
	memberText            // content, text, delta, ...: generated text, for the estimate
	memberModel           // model, modelVersion: the model that answered
)

// classify names a member from its key's bytes.
func classify(key []byte) member {
	switch string(key) {
	case "usage", "usageMetadata":
		return memberUsage
	case "choices":
		return memberChoices
	case "message":
		return memberMessage
	case "response":
		return memberResponse
	case "content", "text", "delta", "arguments", "partial_json", "thinking",
		"reasoning", "reasoning_content", "refusal":
		return memberText
	case "model", "modelVersion":
		return memberModel
	}
	return memberOther
}

// jsonScan follows the structure of JSON text fed to it in pieces of any size, without
// keeping the text: it decodes the usage objects of the top-level objects (an answer, an
// event, or the elements of a top-level array), counts the bytes of generated text, reads
// the name of the model that answered, and tells a usage-only chunk (usage set, choices
// empty). It never fails: bytes that are not JSON leave it in some state that the next
// reset clears. Its memory is bounded.
type jsonScan struct {
	// usage is the latest counts the text reported.
	usage reported
	// textBytes is the bytes of every string member that holds generated text.
	textBytes int64
	// model[:modelLen] is the model that answered once hasModel is set (see modelAt); a
	// name being read until then.
	model    [maxModelLength]byte
	modelLen int
	hasModel bool

	depth   int
	objects uint64 // bit d: the container at depth d+1 is an object
	base    int    // 1 when the text is an array of top-level objects

	inString, escaped, isKey, counting bool
	expectKey, afterColon, started     bool

	key    [20]byte
	keyLen int
	next   member // the member whose value comes after the colon
	// inModel: the string being scanned is a model name, kept in model.
	inModel bool

	parent   member // the top-level member whose object is open (message, response)
	capDepth int    // > 0: capturing the usage object that opened at this depth
	capScope usageScope
	// capture holds the usage object being captured, in capBuf, a buffer taken from
	// captureBuffers while the object is open.
	capture []byte
	capBuf  *[]byte

	// choicesOpen: the top-level choices array just opened; its next byte says whether
	// it is empty.
	choicesOpen, choicesEmpty, choicesFull, hasUsage bool
	// usageOnly is set when a top-level object ended that carried usage and an empty
	// choices array (OpenAI's usage-only chunk); ended counts the top-level objects that
	// ended. The meter clears both at the end of each line.
	usageOnly bool
	ended     int
}

// modelName is the first non-empty model name the text gave, "" without one. It is the
// JSON string's bytes as written: escapes are not decoded. A name longer than
// maxModelLength bytes, which no provider uses, is not kept.
func (s *jsonScan) modelName() string {
	if !s.hasModel {
		return ""
	}
	return modelNames.intern(s.model[:s.modelLen])
}

// modelNames are the model names answers gave, kept so that an answer naming a model
// seen before costs no allocation; at most maxInterned are kept.
var modelNames = interned{m: map[string]string{}}

const maxInterned = 256

// interned is a bounded set of strings, safe for concurrent use.
type interned struct {
	mu sync.RWMutex
	m  map[string]string
}

// intern returns b as a string, the one kept when b was seen before.
func (t *interned) intern(b []byte) string {
	t.mu.RLock()
	s, ok := t.m[string(b)] // no allocation for the lookup
	t.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	t.mu.Lock()
	if len(t.m) < maxInterned {
		t.m[s] = s
	}
	t.mu.Unlock()
	return s
}

// reset forgets the structure (at the end of an event) but keeps the counts and the
// model.
func (s *jsonScan) reset() {
	s.endCapture()
	u, t := s.usage, s.textBytes
	m, ml, hm := s.model, s.modelLen, s.hasModel
	*s = jsonScan{usage: u, textBytes: t, model: m, modelLen: ml, hasModel: hm}
}

// captureBuffers are the buffers usage objects are captured in, each held only while
// its object is open: an answer's, or each event's of a stream.
var captureBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 512)
	return &b
}}

// startCapture starts capturing the usage object that opened at depth, in scope.
func (s *jsonScan) startCapture(scope usageScope) {
	s.capDepth, s.capScope = s.depth, scope
	if s.capBuf == nil {
		s.capBuf = captureBuffers.Get().(*[]byte)
		s.capture = (*s.capBuf)[:0]
	}
}

// endCapture stops capturing and gives the buffer back, unless it grew past twice the
// largest object kept.
func (s *jsonScan) endCapture() {
	s.capDepth = 0
	if s.capBuf == nil {
		return
	}
	if cap(s.capture) <= 2*maxUsageObject {
		*s.capBuf = s.capture[:0]
		captureBuffers.Put(s.capBuf)
	}
	s.capBuf, s.capture = nil, nil
}

// modelAt reports whether a string value of a model member that starts here names the
// model that answered: a member of a top-level object (the whole answer's or a chunk's
// "model", Gemini's "modelVersion"), or of the message of Anthropic's message_start or
// the response of OpenAI's Responses API events.
func (s *jsonScan) modelAt() bool {
	if !s.inObject() {
		return false
	}
	return s.depth == s.base+1 ||
		s.depth == s.base+2 && (s.parent == memberMessage || s.parent == memberResponse)
}

// inObject reports whether the innermost open container is an object.
func (s *jsonScan) inObject() bool {
	return s.depth > 0 && s.depth <= maxDepth && s.objects&(1<<(s.depth-1)) != 0
}

// feed scans b.
func (s *jsonScan) feed(b []byte) {
	for i := 0; i < len(b); i++ {
		if s.inString {
			i += s.stringBytes(b[i:]) - 1
			continue
		}
		c := b[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			if s.capDepth > 0 {
				s.keep(b[i : i+1])
			}
			continue
		}
		if s.choicesOpen {
			s.choicesOpen = false
			s.choicesEmpty, s.choicesFull = c == ']', c != ']'
		}
		s.structural(c)
	}
}

// stringBytes scans b from inside a string and returns how many bytes it used: up to and
// including the closing quote, or all of b.
func (s *jsonScan) stringBytes(b []byte) int {
	if s.inModel {
		n := s.modelBytes(b)
		if n == len(b) || !s.inString {
			return n
		}
		return n + s.stringBytes(b[n:]) // a name too long: the rest is any string's
	}
	n := 0
	for n < len(b) {
		if s.escaped {
			s.escaped = false
			s.stringByte(b[n : n+1])
			n++
			continue
		}
		j := bytes.IndexAny(b[n:], "\"\\")
		if j < 0 {
			s.stringByte(b[n:])
			return len(b)
		}
		s.stringByte(b[n : n+j])
		n += j
		if b[n] == '\\' {
			s.escaped = true
			s.stringByte(b[n : n+1])
			n++
			continue
		}
		if s.capDepth > 0 {
			s.keep(b[n : n+1])
		}
		s.endString()
		return n + 1
	}
	return n
}

// modelBytes scans b from inside a model name, keeping its bytes as written, and
// returns how many it used: up to and including the closing quote, or all of b. A name
// longer than the buffer is given up on where it overflows; the string's other bytes
// are scanned as any string's. No usage object is being captured here (a model name is
// never inside one), nor text counted.
func (s *jsonScan) modelBytes(b []byte) int {
	for n, c := range b {
		if c == '"' && !s.escaped {
			s.inString, s.inModel = false, false
			s.hasModel = s.modelLen > 0
			return n + 1
		}
		if s.modelLen == len(s.model) {
			s.inModel, s.modelLen = false, 0
			return n
		}
		s.escaped = !s.escaped && c == '\\'
		s.model[s.modelLen] = c
		s.modelLen++
	}
	return len(b)
}

// stringByte takes bytes inside a string.
func (s *jsonScan) stringByte(p []byte) {
	if len(p) == 0 {
		return
	}
	if s.capDepth > 0 {
		s.keep(p)
	}
	switch {
	case s.isKey:
		if s.keyLen+len(p) <= len(s.key) {
			copy(s.key[s.keyLen:], p)
		}
		s.keyLen += len(p)
	case s.counting:
		s.textBytes += int64(len(p))
	}
}

func (s *jsonScan) endString() {
	s.inString = false
	if s.isKey {
		s.isKey = false
		s.next = memberOther
		if s.keyLen <= len(s.key) {
			s.next = classify(s.key[:s.keyLen])
		}
	}
	s.counting = false
}

// keep appends p to the usage object being captured, or gives up on one too large.
func (s *jsonScan) keep(p []byte) {
	if len(s.capture)+len(p) > maxUsageObject {
		s.endCapture()
		return
	}
	s.capture = append(s.capture, p...)
}

// structural takes one byte outside strings that is not white space.
func (s *jsonScan) structural(c byte) {
	value := s.afterColon
	s.afterColon = false
	switch c {
	case '"':
		s.inString = true
		switch {
		case s.expectKey && s.inObject():
			s.isKey, s.keyLen, s.expectKey = true, 0, false
		case value && s.next == memberText:
			s.counting = true
		case value && s.next == memberModel && !s.hasModel && s.modelAt():
			s.inModel, s.modelLen = true, 0
		}
		s.keepByte(c)
	case '{', '[':
		if !s.started && s.depth == 0 {
			s.started = true
			if c == '[' {
				s.base = 1
			}
		}
		s.push(c == '{')
		s.expectKey = c == '{'
		if value {
			s.openMember(c)
		}
		s.keepByte(c)
	case '}', ']':
		s.close(c)
	case ':':
		s.afterColon = true
		s.keepByte(c)
	case ',':
		s.expectKey = s.inObject()
		s.keepByte(c)
	default: // numbers, true, false, null and bytes that are not JSON
		s.keepByte(c)
	}
}

// keepByte keeps c when a usage object is being captured.
func (s *jsonScan) keepByte(c byte) {
	if s.capDepth == 0 {
		return
	}
	if len(s.capture) >= maxUsageObject {
		s.endCapture()
		return
	}
	s.capture = append(s.capture, c)
}

func (s *jsonScan) push(object bool) {
	s.depth++
	if s.depth <= maxDepth {
		bit := uint64(1) << (s.depth - 1)
		if object {
			s.objects |= bit
		} else {
			s.objects &^= bit
		}
	}
}

// openMember acts on the container that just opened as the value of member s.next.
func (s *jsonScan) openMember(c byte) {
	top := s.depth == s.base+2 // the member belongs to a top-level object
	switch {
	case s.next == memberUsage && c == '{' && s.capDepth == 0 && top:
		s.hasUsage = true
		s.startCapture(scopeTop)
	case s.next == memberUsage && c == '{' && s.capDepth == 0 && s.depth == s.base+3 &&
		(s.parent == memberMessage || s.parent == memberResponse):
		scope := scopeTop
		if s.parent == memberMessage {
			scope = scopeMessageStart
		}
		s.startCapture(scope)
	case s.next == memberChoices && c == '[' && top:
		s.choicesOpen = true
	case (s.next == memberMessage || s.next == memberResponse) && c == '{' && top:
		s.parent = s.next
	}
}

// close takes the end of a container.
func (s *jsonScan) close(c byte) {
	s.keepByte(c)
	if s.depth == 0 {
		return
	}
	if s.capDepth == s.depth {
		s.usage.add(s.capture, s.capScope)
		s.endCapture()
	}
	wasObject := s.inObject()
	s.depth--
	s.expectKey = false
	switch {
	case s.depth == s.base && wasObject:
		s.usageOnly = s.usageOnly || s.hasUsage && s.choicesEmpty
		s.ended++
		s.hasUsage, s.choicesEmpty, s.choicesFull, s.parent = false, false, false, memberOther
	case s.depth == s.base+1:
		s.parent = memberOther
	}
}
