package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/claimgate/claimgate/dataplane/llm"
)

// prereadLimit is the largest request body, of declared length, read into memory before
// it is forwarded. A prompt is usually a few kilobytes.
const prereadLimit = 64 << 10

// errBuffersFull is returned when reading a body into memory would take the proxy past
// its bound on buffered bodies.
var errBuffersFull = errors.New("the proxy holds as many request bodies in memory as it may")

// bodyBudget bounds the memory held by request bodies read into memory, across requests.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

// reserve takes n bytes of the budget, or reports false and takes nothing.
func (b *bodyBudget) reserve(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *bodyBudget) release(n int64) { b.used.Add(-n) }

// readBody reads into memory the body the upstream needs whole (to shape it for the
// route's ai options, or to override its model)
// or, when it has a declared length up to prereadLimit, to forward it in one write: for a
// body it cannot see into, the transport flushes the request's head on its own first (one
// more system call and packet per request). A route that retries also reads a body of
// declared length up to replay so that a retry can send it again, unless the memory
// bound is reached: that body is then streamed, and not retried. Larger bodies, and
// bodies of unknown length, are streamed as they arrive. The body's deadline bounds the
// reading. It reports whether the body is now in memory and the bytes of the budget it
// holds, to release once the request is done.
func (s *Server) readBody(r *http.Request, up *upstream, rt *route, whole bool) (inMemory bool, reserved int64, err error) {
	replay := rt.replayLimit()
	shaping := rt.aiShaping(up)
	rewrite := up.adapter != nil && (up.adapter.Model() != "" || shaping != nil || rt.guardFor(up).GuardsRequests())
	if _, ok := llm.InMemory(r); ok && !rewrite {
		return true, 0, nil // read before authorization, for its model
	}
	// A failover upstream's members each shape the body and set their model at every
	// attempt, and a retry sends it again: it is read whole, as it came.
	whole = whole || rewrite || up.failover != nil
	if r.Body == nil || r.Body == http.NoBody || !whole && (r.ContentLength <= 0 || r.ContentLength > max(prereadLimit, replay)) {
		return false, 0, nil
	}
	reserved = r.ContentLength
	if whole {
		if reserved < 0 || reserved > s.cfg.MaxBodyBytes {
			reserved = s.cfg.MaxBodyBytes // what may be read at most
		}
	}
	if !s.bodies.reserve(reserved) {
		if !whole && r.ContentLength > prereadLimit {
			return false, 0, nil // only wanted for a retry
		}
		return false, 0, errBuffersFull
	}
	switch {
	case rewrite:
		return true, reserved, llm.RewriteBody(r, shaping, up.adapter.BodyFormat(r.URL.Path), up.adapter.Model(), s.cfg.MaxBodyBytes)
	case whole:
		return true, reserved, readWhole(r, s.cfg.MaxBodyBytes)
	}
	// Not pooled: the transport may still be writing the body after the answer came.
	body := make([]byte, r.ContentLength)
	_, err = io.ReadFull(r.Body, body)
	_ = r.Body.Close()
	if err != nil {
		return false, reserved, fmt.Errorf("reading a request body of %d bytes: %w", r.ContentLength, err)
	}
	llm.SetBody(r, body)
	return true, reserved, nil
}

// bodyDeadline bounds the time a request body may take to arrive: a client that sends
// its body a byte at a time is cut off when the body timeout (or the route's, when
// sooner) expires, or when the route's idle timeout passes between two reads or its
// maximum stream duration ends. Once the body has arrived (or is closed) the
// connection's read deadline is cleared: past the body, net/http reads the connection
// only to notice the client leave, and a deadline expiring there would cancel every
// later request on the connection. The route's timeout is the request context's
// deadline.
func (s *Server) bodyDeadline(rw *responseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || rw.body != nil {
		return // no body, or bounded already
	}
	deadline := time.Now().Add(s.cfg.BodyTimeout)
	if !rw.deadline.IsZero() && rw.deadline.Before(deadline) {
		deadline = rw.deadline
	}
	rc := http.NewResponseController(rw)
	b := &clientBody{ReadCloser: r.Body, stream: rw.stream, hard: deadline}
	if rc.SetReadDeadline(rw.stream.readDeadline(deadline)) == nil {
		b.rc = rc
	}
	r.Body, rw.body = b, b
}

// clientBody is the body of a request as it arrives from the client. It clears the read
// deadline once the body has been read, and keeps the error that ended it early, so a
// failed forward is blamed on the client (400, 408) rather than on the upstream.
type clientBody struct {
	io.ReadCloser
	rc   *http.ResponseController // nil where deadlines are not supported
	done bool
	err  error
	// stream, when the route bounds idle time or duration, is told of every read, and
	// the read deadline moves with the idle timeout, never past hard.
	stream *streamLimits
	hard   time.Time
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.stream != nil {
		b.stream.touch()
		if b.rc != nil && b.stream.idle > 0 && !b.done {
			_ = b.rc.SetReadDeadline(b.stream.readDeadline(b.hard))
		}
	}
	switch {
	case err == nil || b.done:
	case errors.Is(err, io.EOF):
		b.finish()
	default:
		b.done, b.err = true, err
	}
	return n, err
}

// Close closes the body and clears the deadline.
func (b *clientBody) Close() error {
	err := b.ReadCloser.Close()
	if !b.done {
		b.finish()
	}
	return err
}

func (b *clientBody) finish() {
	b.done = true
	if b.rc != nil {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}

// clientBodyError is the error that cut the body of w's request short while it was
// being forwarded, or nil.
func clientBodyError(w http.ResponseWriter) error {
	if rw, ok := w.(*responseWriter); ok && rw.body != nil {
		return rw.body.err
	}
	return nil
}

// writeBodyError answers a request whose body could not be read: 408 when it came too
// slowly (in the words of the route's stream bound when that is what expired), 400
// otherwise.
func writeBodyError(w http.ResponseWriter, err error) {
	rw, _ := w.(*responseWriter)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && rw != nil && rw.stream.expired() != nil:
		writeStreamTimeout(w, rw.stream.expired())
	case errors.Is(err, os.ErrDeadlineExceeded):
		writeText(w, http.StatusRequestTimeout, "request body not received in time")
	default:
		writeText(w, http.StatusBadRequest, "cannot read request body")
	}
}
