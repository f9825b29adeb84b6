package h1

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
)

// inlineBodyLimit is the largest request body in memory that is written on the
// caller's goroutine before the answer is read; a larger one, or one not in memory, is
// written by a goroutine of its own while the answer is read.
const inlineBodyLimit = 256 << 10

// excludedHeaders are the request fields the client writes itself, from the request's
// other members: a copy in Header is never sent.
var excludedHeaders = map[string]bool{
	"Host": true, "User-Agent": true, "Content-Length": true, "Transfer-Encoding": true,
	"Trailer": true,
}

// errInvalidRequest wraps what makes a request impossible to write.
var errInvalidRequest = errors.New("h1: invalid request")

// bodyMode says how a request's body is framed and written.
type bodyMode int

const (
	bodyNone     bodyMode = iota // no body
	bodyInline                   // Content-Length, in memory, written before the answer is read
	bodyStreamed                 // written by its own goroutine, with Content-Length or chunked
)

// requestBody classifies req's body.
func requestBody(req *http.Request) bodyMode {
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return bodyNone
	case req.GetBody != nil && req.ContentLength > 0 && req.ContentLength <= inlineBodyLimit:
		return bodyInline
	default:
		return bodyStreamed
	}
}

// chunked reports whether req's body is sent chunked: its length is unknown.
func chunked(req *http.Request, mode bodyMode) bool {
	return mode != bodyNone && req.ContentLength <= 0
}

// writeHead writes req's request line and header fields to w.
func writeHead(w *bufio.Writer, req *http.Request, mode bodyMode) error {
	if !validToken(req.Method) {
		return fmt.Errorf("%w: method %q", errInvalidRequest, req.Method)
	}
	target := req.URL.RequestURI()
	if !validTarget(target) {
		return fmt.Errorf("%w: request target has a space or a control byte", errInvalidRequest)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validHostValue(host) {
		return fmt.Errorf("%w: Host %q", errInvalidRequest, host)
	}
	_, _ = w.WriteString(req.Method)
	_ = w.WriteByte(' ')
	_, _ = w.WriteString(target)
	_, _ = w.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = w.WriteString(host)
	_, _ = w.WriteString("\r\n")
	if err := writeUserAgent(w, req.Header); err != nil {
		return err
	}
	writeFraming(w, req, mode)
	for k, vs := range req.Header {
		if excludedHeaders[k] {
			continue
		}
		if !validToken(k) {
			return fmt.Errorf("%w: header name %q", errInvalidRequest, k)
		}
		for _, v := range vs {
			v = strings.TrimSpace(v) // no leading or trailing space, as net/http
			if !validFieldValue(v) {
				return fmt.Errorf("%w: header %s has a control byte", errInvalidRequest, k)
			}
			writeField(w, k, v)
		}
	}
	if req.Close && !wantsClose(req.Header) {
		_, _ = w.WriteString("Connection: close\r\n")
	}
	_, err := w.WriteString("\r\n")
	return err
}

// writeUserAgent writes the User-Agent field: the request's when it has one (none when
// it is set empty), else net/http's default.
func writeUserAgent(w *bufio.Writer, h http.Header) error {
	vs, ok := h["User-Agent"]
	if !ok {
		_, _ = w.WriteString("User-Agent: Go-http-client/1.1\r\n")
		return nil
	}
	if len(vs) == 0 || vs[0] == "" {
		return nil
	}
	if !validFieldValue(vs[0]) {
		return fmt.Errorf("%w: header User-Agent has a control byte", errInvalidRequest)
	}
	writeField(w, "User-Agent", vs[0])
	return nil
}

// writeFraming writes Content-Length or Transfer-Encoding, and Trailer.
func writeFraming(w *bufio.Writer, req *http.Request, mode bodyMode) {
	switch {
	case mode == bodyNone:
		if req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
			_, _ = w.WriteString("Content-Length: 0\r\n")
		}
	case chunked(req, mode):
		_, _ = w.WriteString("Transfer-Encoding: chunked\r\n")
		if len(req.Trailer) > 0 {
			keys := make([]string, 0, len(req.Trailer))
			for k := range req.Trailer {
				if validToken(k) && !excludedHeaders[http.CanonicalHeaderKey(k)] {
					keys = append(keys, k)
				}
			}
			writeField(w, "Trailer", strings.Join(keys, ","))
		}
	default:
		_, _ = w.WriteString("Content-Length: ")
		var buf [20]byte
		_, _ = w.Write(strconv.AppendInt(buf[:0], req.ContentLength, 10))
		_, _ = w.WriteString("\r\n")
	}
}

func writeField(w *bufio.Writer, k, v string) {
	_, _ = w.WriteString(k)
	_, _ = w.WriteString(": ")
	_, _ = w.WriteString(v)
	_, _ = w.WriteString("\r\n")
}

// writeBody writes req's body to w, framed as its head said, and flushes: a streamed
// body is flushed read by read, so the upstream receives it as the client sends it.
// It closes the body.
func writeBody(w *bufio.Writer, req *http.Request, mode bodyMode) error {
	defer closeBody(req)
	if chunked(req, mode) {
		cw := httputil.NewChunkedWriter(w)
		if err := copyFlushing(w, cw, req.Body); err != nil {
			return err
		}
		if err := cw.Close(); err != nil {
			return err
		}
		if err := writeTrailer(w, req.Trailer); err != nil {
			return err
		}
		return w.Flush()
	}
	var n int64
	var err error
	if mode == bodyInline {
		n, err = io.Copy(w, io.LimitReader(req.Body, req.ContentLength))
	} else {
		n, err = copyFlushingN(w, req.Body, req.ContentLength)
	}
	if err != nil {
		return err
	}
	if n != req.ContentLength {
		return fmt.Errorf("%w: ContentLength=%d with a body of %d bytes", errInvalidRequest, req.ContentLength, n)
	}
	return w.Flush()
}

// writeTrailer writes the request's trailer fields and the chunked body's last line.
func writeTrailer(w *bufio.Writer, tr http.Header) error {
	for k, vs := range tr {
		if !validToken(k) || excludedHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if !validFieldValue(v) {
				return fmt.Errorf("%w: trailer %s has a control byte", errInvalidRequest, k)
			}
			writeField(w, k, v)
		}
	}
	_, err := w.WriteString("\r\n")
	return err
}

// bodyReadError is a failure reading the request's body (the client's), not writing it.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "h1: reading the request body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// copyFlushing copies src to dst (which writes into w), flushing w after every read.
func copyFlushing(w *bufio.Writer, dst io.Writer, src io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			if werr := w.Flush(); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &bodyReadError{err}
		}
	}
}

// copyFlushingN copies at most n bytes of src to w, flushing after every read.
func copyFlushingN(w *bufio.Writer, src io.Reader, n int64) (int64, error) {
	lr := &io.LimitedReader{R: src, N: n}
	var written int64
	buf := make([]byte, 32<<10)
	for {
		m, err := lr.Read(buf)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return written, werr
			}
			written += int64(m)
			if werr := w.Flush(); werr != nil {
				return written, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return written, nil
		}
		if err != nil {
			return written, &bodyReadError{err}
		}
	}
}
