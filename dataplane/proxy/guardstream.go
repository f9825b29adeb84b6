package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// maxGuardedEvent bounds the bytes of one event of a guarded stream held while it has
// not ended; a longer one ends the stream (it cannot be checked).
const maxGuardedEvent = 1 << 20

// guardStream is the body of a guarded streamed answer. It reads the answer event by
// event (under it, the meter counts what the provider produced) and passes each event
// on at once, but for the text: each choice's text is held until a boundary
// (guard.Holder), then masked by the response guards and sent in one event of the
// provider's shape, the one that completed the stretch. An event without text (a
// role, a finish, usage, [DONE]) first releases the text held before it. When a guard
// cannot decide, the stream ends with the provider's error event. Read and Close may
// be called from different goroutines.
type guardStream struct {
	g    *guardState
	src  io.ReadCloser
	path string
	ctx  context.Context

	mu      sync.Mutex
	events  llm.SSEEvents
	holders map[int]*guard.Holder
	// templates are, per choice, the last event that carried its text: held text is
	// released in an event of that shape.
	templates map[int][]byte
	order     []int // choices in the order their text first came
	out       []byte
	outOff    int
	err       error // what ends the body once out is drained
	buf       []byte
}

func newGuardStream(g *guardState, resp *http.Response) *guardStream {
	return &guardStream{
		g: g, src: resp.Body, path: resp.Request.URL.Path, ctx: resp.Request.Context(),
		holders: map[int]*guard.Holder{}, templates: map[int][]byte{},
	}
}

func (s *guardStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.outOff < len(s.out) {
			n := copy(p, s.out[s.outOff:])
			s.outOff += n
			if s.outOff == len(s.out) {
				s.out, s.outOff = s.out[:0], 0
			}
			return n, nil
		}
		if s.err != nil {
			return 0, s.err
		}
		if s.buf == nil {
			s.buf = make([]byte, 32<<10)
		}
		n, err := s.src.Read(s.buf)
		s.events.Feed(s.buf[:n])
		s.drain()
		if err != nil && s.err == nil {
			s.end(err)
		}
	}
}

// drain processes every whole event received.
func (s *guardStream) drain() {
	for s.err == nil {
		ev, ok := s.events.Next()
		if !ok {
			break
		}
		s.event(slices.Clone(ev))
	}
	if s.err == nil && s.events.Pending() > maxGuardedEvent {
		s.fail(&guard.Error{Guard: guardUnreadable, Err: errors.New("a stream event exceeds 1 MiB")})
	}
}

// end finishes the stream when the upstream body ended (io.EOF) or failed: the held
// text is released, and a last event that never ended is passed, masked.
func (s *guardStream) end(err error) {
	if rest := s.events.Rest(); len(rest) > 0 {
		s.event(rest)
	}
	if s.err == nil {
		s.flushAll()
	}
	if s.err == nil {
		s.err = err
	}
}

// event processes one whole event.
func (s *guardStream) event(ev []byte) {
	data, ok := llm.EventData(ev)
	if !ok || len(data) == 0 || data[0] != '{' {
		s.flushAll() // no JSON object: [DONE], a comment, a ping, or plain text
		s.emit(s.maskPlain(ev, data))
		return
	}
	var held []int
	release, final := false, false
	out, texts := llm.EditDelta(data, s.g.format, func(i int, text string, fin bool) string {
		if text == "" && !fin {
			return "" // an empty text (OpenAI's first chunk, with the role) is no text
		}
		h := s.holder(i)
		held = append(held, i)
		ready := h.Add(text)
		if fin {
			ready += h.Flush()
			final = true
		}
		if ready == "" || s.err != nil {
			return ""
		}
		release = true
		return s.mask(ready)
	})
	if texts == 0 || len(held) == 0 {
		s.flushAll()
		if whole, changed := llm.EditStreamText(data, s.g.format, s.mask); changed {
			ev = llm.WithData(ev, whole)
		}
		s.emit(ev)
		return
	}
	for _, i := range held {
		s.templates[i] = ev
	}
	if s.err == nil && (release || final) {
		s.emit(llm.WithData(ev, out))
	}
}

// maskPlain masks the data of an event that is not a JSON object (other than [DONE])
// as one stretch of text, so that text a provider sends outside its JSON shape is not
// passed unguarded; the masked data keeps one data line per line.
func (s *guardStream) maskPlain(ev, data []byte) []byte {
	if len(data) == 0 || string(data) == "[DONE]" {
		return ev
	}
	masked := s.mask(string(data))
	if masked == string(data) || s.err != nil {
		return ev
	}
	var out []byte
	for line := range bytes.Lines(ev) {
		if !bytes.HasPrefix(line, []byte("data:")) && len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line...) // event:, id:, retry: lines kept
		}
	}
	for line := range strings.Lines(masked) {
		out = append(out, "data: "...)
		out = append(out, strings.TrimSuffix(line, "\n")...)
		out = append(out, '\n')
	}
	return append(out, '\n')
}

// holder is choice i's holder.
func (s *guardStream) holder(i int) *guard.Holder {
	h, ok := s.holders[i]
	if !ok {
		h = &guard.Holder{}
		s.holders[i] = h
		s.order = append(s.order, i)
	}
	return h
}

// flushAll releases the text held for every choice, each in an event of the shape of
// the last that carried its text.
func (s *guardStream) flushAll() {
	for _, i := range s.order {
		text := s.holders[i].Flush()
		if text == "" || s.err != nil {
			continue
		}
		masked := s.mask(text)
		tmpl := s.templates[i]
		data, _ := llm.EventData(tmpl)
		out, _ := llm.EditDelta(data, s.g.format, func(j int, _ string, _ bool) string {
			if j == i {
				return masked
			}
			return ""
		})
		if s.err == nil {
			s.emit(llm.WithData(tmpl, out))
		}
	}
}

// mask runs the response guards on a stretch of text; a guard that cannot decide
// ends the stream.
func (s *guardStream) mask(text string) string {
	if s.err != nil {
		return ""
	}
	out, _, err := s.g.p.MaskResponse(s.ctx, []guard.Choice{{Role: "assistant", Content: text}}, s.g.header, s.g.s.guardActed(s.g.rw, "response"))
	if err != nil {
		s.fail(err)
		return ""
	}
	return out[0].Content
}

// fail ends the stream with the provider's error event: nothing more of the answer
// reaches the client.
func (s *guardStream) fail(err error) {
	s.g.s.guardFailed(s.g.rw, "response", err)
	s.out = append(s.out, s.g.adapter.GuardErrorEvent(s.path)...)
	s.err = io.EOF
	_ = s.src.Close()
}

func (s *guardStream) emit(ev []byte) {
	if s.err == nil {
		s.out = append(s.out, ev...)
	}
}

// Close closes the upstream body.
func (s *guardStream) Close() error { return s.src.Close() }
