package h1

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// response builds the final answer from its head and frames its body.
func (x *exchange) response(h head) (*http.Response, error) {
	resp := &http.Response{
		Status: h.statusText, StatusCode: h.status, Proto: h.proto, ProtoMajor: h.major, ProtoMinor: h.minor,
		Header: h.header, Request: x.req, ContentLength: -1,
	}
	length, hasLength, hasTE, err := framing(h)
	if err != nil {
		return nil, err
	}
	if hasTE {
		delete(h.header, "Transfer-Encoding")
		resp.TransferEncoding = []string{"chunked"}
	}
	resp.Close = closes(h)
	if err := announcedTrailer(resp, hasTE); err != nil {
		return nil, err
	}
	b := &body{x: x, resp: resp}
	switch {
	case x.req.Method == http.MethodHead || h.status == http.StatusNoContent || h.status == http.StatusNotModified:
		switch {
		case x.req.Method == http.MethodHead && hasLength:
			resp.ContentLength = length // of what a GET would have answered
		case x.req.Method != http.MethodHead:
			resp.ContentLength = 0
		}
		// A 204 announcing a body breaks the framing of what follows on the connection.
		resp.Close = resp.Close || h.status == http.StatusNoContent && (hasTE || length > 0)
		resp.Body = http.NoBody
		b.finish(true)
	case hasTE:
		b.r = &chunkedReader{rd: &x.c.rd}
		b.chunked = true
		resp.Body = b
	case hasLength && length == 0:
		resp.ContentLength = 0
		resp.Body = http.NoBody
		b.finish(true)
	case hasLength:
		resp.ContentLength = length
		b.remaining = length
		b.r = &x.c.rd
		resp.Body = b
	default: // delimited by the connection's close
		resp.Close = true
		b.remaining = -1
		b.r = &x.c.rd
		resp.Body = b
	}
	return resp, nil
}

// framing reads how an answer's head frames its body: a Content-Length, or chunked.
// Anything ambiguous is refused: both, differing lengths, a transfer coding other
// than chunked alone, a transfer coding in an HTTP/1.0 answer.
func framing(h head) (length int64, hasLength, chunked bool, err error) {
	te, hasTE := h.header["Transfer-Encoding"]
	if length, hasLength, err = contentLength(h.header["Content-Length"]); err != nil {
		return 0, false, false, err
	}
	if hasLength {
		h.header["Content-Length"] = h.header["Content-Length"][:1]
	}
	if !hasTE {
		return length, hasLength, false, nil
	}
	switch {
	case hasLength:
		return 0, false, false, malformed("both Content-Length and Transfer-Encoding")
	case len(te) != 1 || !strings.EqualFold(te[0], "chunked"):
		return 0, false, false, malformed("transfer coding %q is not chunked alone", truncate(strings.Join(te, ",")))
	case h.minor == 0:
		return 0, false, false, malformed("Transfer-Encoding in an HTTP/1.0 answer")
	}
	return 0, false, true, nil
}

// contentLength reads the Content-Length fields: one decimal value, repeated identically
// when repeated.
func contentLength(vs []string) (int64, bool, error) {
	if len(vs) == 0 {
		return 0, false, nil
	}
	for _, v := range vs[1:] {
		if v != vs[0] {
			return 0, false, malformed("differing Content-Length values")
		}
	}
	v := vs[0]
	if v == "" || len(v) > 18 {
		return 0, false, malformed("Content-Length %q", truncate(v))
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return 0, false, malformed("Content-Length %q", truncate(v))
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, malformed("Content-Length %q", truncate(v))
	}
	return n, true, nil
}

// closes reports whether the connection ends with this answer: Connection: close, or
// an HTTP/1.0 answer without keep-alive.
func closes(h head) bool {
	conn := h.header["Connection"]
	if h.minor == 0 {
		return !hasToken(conn, "keep-alive")
	}
	return hasToken(conn, "close")
}

// trailerForbidden are the fields a trailer may not carry (they frame or route the
// message).
var trailerForbidden = map[string]bool{
	"Content-Length": true, "Transfer-Encoding": true, "Trailer": true, "Host": true,
	"Connection": true, "Content-Type": true, "Content-Encoding": true,
}

// announcedTrailer moves a chunked answer's Trailer field into resp.Trailer's keys, as
// net/http does; without chunking it stays in the header.
func announcedTrailer(resp *http.Response, chunked bool) error {
	vs, ok := resp.Header["Trailer"]
	if !ok || !chunked {
		return nil
	}
	delete(resp.Header, "Trailer")
	tr := http.Header{}
	for _, v := range vs {
		for _, k := range strings.Split(v, ",") {
			k = trimOWS(k)
			if k == "" {
				continue
			}
			if !validToken(k) {
				return malformed("Trailer names %q", truncate(k))
			}
			k = http.CanonicalHeaderKey(k)
			if trailerForbidden[k] {
				return malformed("Trailer names %s", k)
			}
			tr[k] = nil
		}
	}
	if len(tr) > 0 {
		resp.Trailer = tr
	}
	return nil
}

// body is an answer's body read from the connection. The connection goes back to the
// pool when the body has been read to its clean end; closing it earlier closes the
// connection.
type body struct {
	x    *exchange
	resp *http.Response
	r    io.Reader
	// remaining is what a Content-Length body still holds, -1 for a body delimited by
	// the connection's close.
	remaining int64
	chunked   bool
	done      bool
	err       error // returned once done
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.err
	}
	if b.remaining > 0 && int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.r.Read(p)
	switch {
	case b.chunked:
		if errors.Is(err, io.EOF) {
			err = b.readTrailer()
		}
	case b.remaining > 0:
		b.remaining -= int64(n)
		if b.remaining == 0 {
			// The end comes with the last bytes, as net/http's transport gives it: a
			// reader that acts at the end (metering) does so before the caller
			// passes the last bytes on.
			b.finish(true)
			b.err = io.EOF
			return n, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
	case errors.Is(err, io.EOF): // the close that delimits the body
		b.finish(false)
		b.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		clean := errors.Is(err, io.EOF)
		b.finish(clean)
		if !clean {
			err = b.x.bodyError(err)
		}
		b.err = err
	}
	return n, err
}

// readTrailer reads the trailer fields after the last chunk into resp.Trailer.
func (b *body) readTrailer() error {
	c := b.x.c
	buf, err := readTrailerLines(&c.rd, c.head, c.t.cfg.MaxResponseHeaderBytes)
	c.head = buf[:0]
	if err != nil {
		return err
	}
	if len(buf) <= 2 {
		return io.EOF // no trailer field: the common case
	}
	fields, err := parseFields(string(buf))
	if err != nil {
		return err
	}
	for k, vs := range fields {
		if trailerForbidden[k] {
			continue
		}
		if b.resp.Trailer == nil {
			b.resp.Trailer = http.Header{}
		}
		b.resp.Trailer[k] = vs
	}
	return io.EOF
}

// Close ends the body; before its end, that closes the connection.
func (b *body) Close() error {
	if !b.done {
		b.finish(false)
		b.err = errBodyClosed
	}
	return nil
}

// finish ends the exchange: the connection goes back to the pool when the answer was
// read cleanly to its end and nothing else is pending on it, else it is closed.
func (b *body) finish(clean bool) {
	b.done = true
	x := b.x
	c := x.c
	canceled := !x.stop()
	if clean && !canceled && !b.resp.Close && !x.req.Close && !wantsClose(x.req.Header) &&
		x.writer.finishedOK() && c.rd.buffered() == 0 && !c.closed.Load() {
		c.t.putIdle(c)
		return
	}
	c.close()
}

// errBodyClosed is what a body closed before its end reads.
var errBodyClosed = errors.New("h1: read on a closed body")

// bodyError is the error a body's reader sees: the context's cause once it ended.
func (x *exchange) bodyError(err error) error {
	if ctx := x.req.Context(); ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
