package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"syscall"
	"time"
)

// max1xx bounds the informational answers before the final one.
const max1xx = 5

// exchange is one request and its answer on a connection.
type exchange struct {
	c    *conn
	req  *http.Request
	mode bodyMode
	// stop unregisters the context's closing of the connection; false once it ran.
	stop func() bool
	// writer is the goroutine writing a streamed body, nil otherwise.
	writer *bodyWriter
	// gotByte is set once a byte of the answer was read.
	gotByte bool
}

// bodyWriter is the state of a request body written by its own goroutine.
type bodyWriter struct {
	done chan struct{}
	err  error
	// mu orders the writer's arming of the head timeout with the reader's end of it.
	mu       sync.Mutex
	headRead bool
}

// roundTrip sends req on c and reads the answer's head.
func (c *conn) roundTrip(req *http.Request) (*http.Response, error) {
	x := &exchange{c: c, req: req, mode: requestBody(req)}
	x.stop = context.AfterFunc(req.Context(), c.abort)
	resp, err := x.send()
	if err != nil {
		x.stop()
		c.close()
		closeBody(req) // also ends a streamed body's writer blocked reading it
		return nil, x.mapError(err)
	}
	return resp, nil
}

// send writes the request and reads the answer's head.
func (x *exchange) send() (*http.Response, error) {
	if err := x.write(); err != nil {
		return nil, err
	}
	if x.writer == nil {
		_ = x.c.nc.SetReadDeadline(time.Now().Add(x.c.t.cfg.ResponseHeaderTimeout))
	}
	return x.readAnswer()
}

// write writes the request: whole, or its head with a goroutine left writing the
// body. The write buffer is the connection's only while it writes: an answer that
// streams for minutes holds none.
func (x *exchange) write() error {
	bw := takeWriter(x.c.nc)
	if err := writeHead(bw, x.req, x.mode); err != nil {
		putWriter(bw)
		return err
	}
	var err error
	switch x.mode {
	case bodyNone:
		err = bw.Flush()
	case bodyInline:
		err = writeBody(bw, x.req, x.mode)
	case bodyStreamed:
		if err = bw.Flush(); err == nil { // the upstream sees the head at once
			x.writer = &bodyWriter{done: make(chan struct{})}
			go x.writeStreamed(bw)
			return nil
		}
	}
	putWriter(bw)
	if err != nil {
		return x.staleIfReused(err)
	}
	return nil
}

// writers are the write buffers of connections writing a request.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}

func takeWriter(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.Put(bw)
}

// writeStreamed writes the request body through bw, then arms the head timeout unless
// the head already arrived. A failure closes the connection, which ends the reading of
// the answer.
func (x *exchange) writeStreamed(bw *bufio.Writer) {
	w := x.writer
	err := writeBody(bw, x.req, x.mode)
	putWriter(bw)
	w.mu.Lock()
	w.err = err
	if err == nil && !w.headRead {
		_ = x.c.nc.SetReadDeadline(time.Now().Add(x.c.t.cfg.ResponseHeaderTimeout))
	}
	w.mu.Unlock()
	if err != nil {
		x.c.close()
	}
	close(w.done)
}

// failure is the streamed body's write error, if it failed.
func (w *bodyWriter) failure() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// finishedOK reports whether the streamed body was written whole.
func (w *bodyWriter) finishedOK() bool {
	if w == nil {
		return true
	}
	select {
	case <-w.done:
		return w.err == nil
	default:
		return false
	}
}

// headDone ends the head timeout.
func (x *exchange) headDone() {
	if w := x.writer; w != nil {
		w.mu.Lock()
		w.headRead = true
		_ = x.c.nc.SetReadDeadline(time.Time{})
		w.mu.Unlock()
		return
	}
	_ = x.c.nc.SetReadDeadline(time.Time{})
}

// readAnswer reads heads until the final one, passing informational answers to the
// request's trace, and returns the final answer.
func (x *exchange) readAnswer() (*http.Response, error) {
	c := x.c
	trace := httptrace.ContextClientTrace(x.req.Context())
	for n1xx := 0; ; n1xx++ {
		buf, err := readHead(&c.rd, c.head, c.t.cfg.MaxResponseHeaderBytes)
		c.head = buf[:0]
		if err != nil {
			if len(buf) > 0 {
				x.gotByte = true
			}
			return nil, x.staleIfReused(err)
		}
		x.gotByte = true
		h, err := parseHead(string(buf))
		if err != nil {
			return nil, err
		}
		if h.status >= 200 || h.status == http.StatusSwitchingProtocols {
			if h.status == http.StatusSwitchingProtocols {
				return nil, malformed("101 Switching Protocols to a request that asked no upgrade")
			}
			x.headDone()
			return x.response(h)
		}
		if n1xx >= max1xx {
			return nil, malformed("more than %d informational answers", max1xx)
		}
		if trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(h.status, textproto.MIMEHeader(h.header)); err != nil {
				return nil, err
			}
		}
	}
}

// staleConnError is a reused connection that failed before any of the answer arrived:
// the upstream closed it while it was idle.
type staleConnError struct{ err error }

func (e *staleConnError) Error() string { return e.err.Error() }
func (e *staleConnError) Unwrap() error { return e.err }

func unwrapStale(err error) error {
	var s *staleConnError
	if errors.As(err, &s) {
		return s.err
	}
	return err
}

// staleIfReused marks err as a stale connection's when it may be one.
func (x *exchange) staleIfReused(err error) error {
	var be *bodyReadError
	if !x.c.reused || x.gotByte || errors.As(err, &be) || errors.Is(err, errInvalidRequest) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return &staleConnError{err}
	}
	return err
}

// mapError is the error the caller sees: the context's cause once it ended, a head
// timeout as a timeout, a failed streamed body's error over the read error it caused.
func (x *exchange) mapError(err error) error {
	ctx := x.req.Context()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if werr := x.writer.failure(); werr != nil && !x.gotByte {
		return werr
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return timeoutError{"timeout awaiting response headers"}
	}
	return err
}
