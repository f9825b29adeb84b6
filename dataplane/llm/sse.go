package llm

import "bytes"

// maxHeldLine bounds the bytes of one event line held back while the meter decides
// whether it is the usage-only chunk to hide; a longer line is passed on, unhidden.
const maxHeldLine = 64 << 10

// lineKind is what the meter knows of the current line of a server-sent event stream.
type lineKind uint8

const (
	lineNew        lineKind = iota // no byte yet
	lineMaybeData                  // a prefix of "data:" so far
	lineMaybeBlank                 // "\r" so far
	lineData                       // a data line: its value goes to the scanner
	lineOther                      // any other field or a comment
)

const dataField = "data:"

// sseLine follows the lines of a stream as its bytes pass, in pieces of any size. Lines
// end with "\n" (a "\r" before it is ignored); a blank line ends an event.
type sseLine struct {
	kind   lineKind
	prefix int // bytes of "data:" matched

	// With hiding: the current line's bytes, held back until it ends or cannot be the
	// usage-only chunk.
	held    []byte
	holding bool
	// dropBlank: the previous line was hidden, so is the blank line that ends its event.
	dropBlank bool
}

// segment takes bytes of the current line (no "\n") and feeds a data line's value to s.
func (l *sseLine) segment(seg []byte, s *jsonScan) {
	i := 0
	for ; i < len(seg) && l.kind < lineData; i++ {
		c := seg[i]
		switch {
		case l.kind == lineNew && c == '\r':
			l.kind = lineMaybeBlank
		case (l.kind == lineNew || l.kind == lineMaybeData) && c == dataField[l.prefix]:
			l.kind = lineMaybeData
			l.prefix++
			if l.prefix == len(dataField) {
				l.kind = lineData
			}
		default:
			l.kind = lineOther
		}
	}
	if l.kind == lineData && i < len(seg) {
		s.feed(seg[i:])
	}
}

// end closes the current line; blank reports an empty line (the end of an event, where
// the scanner starts afresh) and usageOnly a data line that held OpenAI's usage-only chunk
// and nothing else.
func (l *sseLine) end(s *jsonScan) (blank, usageOnly bool) {
	blank = l.kind == lineNew || l.kind == lineMaybeBlank
	usageOnly = l.kind == lineData && s.usageOnly && s.ended == 1
	s.usageOnly, s.ended = false, 0
	if blank {
		s.reset()
	}
	l.kind, l.prefix = lineNew, 0
	return blank, usageOnly
}

// scanSSE reads a piece of a stream that passes unchanged, and returns how much of it
// reaches the client: all of it, unless the stream stops at the end of an event in it.
func (m *meter) scanSSE(in []byte) int {
	n := 0
	for n < len(in) {
		rest := in[n:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			m.line.segment(rest, &m.scan)
			return len(in)
		}
		m.line.segment(rest[:nl], &m.scan)
		blank, _ := m.line.end(&m.scan)
		n += nl + 1
		if blank && m.eventEnded() {
			return n
		}
	}
	return n
}

// filterSSE reads a piece of a stream and appends to m.out what reaches the client:
// everything but the usage-only chunk (its data line and the blank line after it).
func (m *meter) filterSSE(in []byte) {
	l := &m.line
	for len(in) > 0 {
		nl := bytes.IndexByte(in, '\n')
		seg := in
		if nl >= 0 {
			seg = in[:nl]
		}
		l.segment(seg, &m.scan)
		if l.holding {
			l.held = append(l.held, seg...)
			if l.kind == lineOther || l.kind == lineData && m.scan.choicesFull || len(l.held) > maxHeldLine {
				m.out = append(m.out, l.held...)
				l.held, l.holding = l.held[:0], false
			}
		} else {
			m.out = append(m.out, seg...)
		}
		if nl < 0 {
			return
		}
		blank, usageOnly := l.end(&m.scan)
		if drop := l.holding && (usageOnly || blank && l.dropBlank); !drop {
			m.out = append(m.out, l.held...)
			m.out = append(m.out, '\n')
		}
		l.dropBlank = l.holding && usageOnly
		l.held, l.holding = l.held[:0], true
		in = in[nl+1:]
		if blank && m.eventEnded() {
			return
		}
	}
}

// releaseHeld passes on a last line that never ended.
func (m *meter) releaseHeld() {
	m.out = append(m.out, m.line.held...)
	m.line.held, m.line.holding = m.line.held[:0], false
}
