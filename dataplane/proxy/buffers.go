package proxy

import (
	"sync"

	"github.com/claimgate/claimgate/dataplane/llm"
)

// copyBufferSize is the size of the buffer a reverse proxy copies an answer through,
// while its bytes flow: it is the size of the upstream connection's read buffer, which
// a larger copy buffer would only bypass for long answers.
const copyBufferSize = 4 << 10

// eventBufferSize is the size of the buffer an event stream is copied through. A
// stream holds its buffer for its whole life, blocked in a read until the provider's
// next event, so the buffer is what every open stream costs: 1 KiB holds a whole event
// of every provider's stream (a few hundred bytes each), and the HTTP/1.1 connection of
// a chunked stream (how providers send theirs) waits in it without a read buffer of its
// own (dataplane/h1's reader.await); one framed by its length or by its close borrows
// the connection's 4 KiB while it waits. A longer event is copied in more than one read.
const eventBufferSize = 1 << 10

var (
	answerBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}
	eventBuffers  = sync.Pool{New: func() any { b := make([]byte, eventBufferSize); return &b }}
)

// Get lends the buffer the request's reverse proxy copies the answer through: it asks
// once the answer's head is written, so the head says whether it is an event stream.
func (w *responseWriter) Get() []byte {
	if llm.IsEventStream(w.Header()) {
		return *eventBuffers.Get().(*[]byte)
	}
	return *answerBuffers.Get().(*[]byte)
}

// Put takes back a buffer Get lent.
func (w *responseWriter) Put(b []byte) {
	switch cap(b) {
	case eventBufferSize:
		eventBuffers.Put(&b)
	case copyBufferSize:
		answerBuffers.Put(&b)
	}
}

// answerPool lends answer buffers to a reverse proxy run without a request's writer to
// choose them.
type answerPool struct{}

func (answerPool) Get() []byte  { return *answerBuffers.Get().(*[]byte) }
func (answerPool) Put(b []byte) { answerBuffers.Put(&b) }
