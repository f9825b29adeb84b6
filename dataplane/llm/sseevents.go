package llm

import (
	"bytes"
)

// SSEEvents splits a server-sent event stream into whole events as its bytes arrive,
// in pieces of any size, with the line rules the meter follows (sse.go): lines end
// with "\n", a "\r" before it is ignored, a blank line ends an event. The prompt guard
// reads a stream event by event with it; the meter, which must not hold bytes back,
// reads line by line.
type SSEEvents struct {
	buf     []byte
	scanned int // bytes of buf already searched for an event's end
	start   int // where the current line starts
}

// Feed appends the next bytes of the stream.
func (s *SSEEvents) Feed(b []byte) { s.buf = append(s.buf, b...) }

// Next returns the next whole event (its bytes, the blank line included) and true, or
// false when the stream has no whole event yet. The returned bytes are valid until the
// next Feed.
func (s *SSEEvents) Next() ([]byte, bool) {
	for {
		nl := bytes.IndexByte(s.buf[s.scanned:], '\n')
		if nl < 0 {
			s.scanned = len(s.buf)
			return nil, false
		}
		end := s.scanned + nl
		line := s.buf[s.start:end]
		s.scanned, s.start = end+1, end+1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			ev := s.buf[:end+1]
			s.buf = s.buf[end+1:]
			s.scanned, s.start = 0, 0
			return ev, true
		}
	}
}

// Pending is the number of bytes held that belong to no whole event yet.
func (s *SSEEvents) Pending() int { return len(s.buf) }

// Rest returns the bytes of an event that never ended and forgets them.
func (s *SSEEvents) Rest() []byte {
	b := s.buf
	s.buf, s.scanned, s.start = nil, 0, 0
	return b
}

// EventData is the data of an event: its data lines' values joined by "\n" (one space
// after the colon dropped), and whether it has any.
func EventData(ev []byte) ([]byte, bool) {
	var out []byte
	found := false
	for line := range bytes.Lines(ev) {
		line = bytes.TrimRight(line, "\r\n")
		v, ok := bytes.CutPrefix(line, []byte(dataField))
		if !ok {
			continue
		}
		v = bytes.TrimPrefix(v, []byte(" "))
		if found {
			out = append(out, '\n')
		}
		out, found = append(out, v...), true
	}
	return out, found
}

// WithData returns ev with its data lines replaced by one holding data, where the first
// was; its other lines (event, id, comments) are kept as they were.
func WithData(ev, data []byte) []byte {
	out := make([]byte, 0, len(ev)+len(data))
	written := false
	for line := range bytes.Lines(ev) {
		if bytes.HasPrefix(line, []byte(dataField)) {
			if !written {
				out = append(out, "data: "...)
				out = append(out, data...)
				out = append(out, '\n')
				written = true
			}
			continue
		}
		out = append(out, line...)
	}
	return out
}
