package h1

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing/iotest"
)

// ParseAnswerHead exposes the head parser and the framing checks to the fuzz test.
func ParseAnswerHead(data []byte, limit int) (status int, fields map[string][]string, chunked bool, length int64, err error) {
	br := byteReader(data)
	buf, err := readHead(br, nil, limit)
	if err != nil {
		return 0, nil, false, 0, err
	}
	h, err := parseHead(string(buf))
	if err != nil {
		return 0, nil, false, 0, err
	}
	n, hasLength, chunked, err := framing(h)
	if err != nil {
		return 0, nil, false, 0, err
	}
	if !hasLength {
		n = -1
	}
	return h.status, h.header, chunked, n, nil
}

// byteReader reads data a byte at a time, so that every line crosses reads.
func byteReader(data []byte) *reader {
	return &reader{src: iotest.OneByteReader(bytes.NewReader(data))}
}

// HoldsReadBuffer reports whether the connection an answer's body is read from holds
// a read buffer.
func HoldsReadBuffer(rb any) bool { return rb.(*body).x.c.rd.buf != nil }

// IdleHoldReadBuffers counts the idle connections that hold a read buffer, and all the
// idle ones.
func IdleHoldReadBuffers(t *Transport) (holding, idle int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, cs := range t.idle {
		for _, c := range cs {
			idle++
			if c.rd.buf != nil {
				holding++
			}
		}
	}
	return holding, idle
}

// ChunkedDecoder decodes data as a chunked body through a connection's reader, from a
// source giving it in pieces of at most piece bytes.
func ChunkedDecoder(data []byte, piece int) io.Reader {
	return &chunkedReader{rd: &reader{src: &pieceReader{data: data, piece: piece}}}
}

// pieceReader gives data in pieces of at most piece bytes.
type pieceReader struct {
	data  []byte
	piece int
}

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.piece)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// WaitHoldsReadBuffer reads a chunked body of two chunks, the second arriving only
// when asked for, in reads of readSize bytes, and reports whether the connection's
// reader held a read buffer while it waited for the second chunk (when the source was
// asked for it), and what the body read.
func WaitHoldsReadBuffer(readSize int) (holding bool, got string, err error) {
	rd := &reader{}
	parts := []string{"6\r\nfirst \r\n", "6\r\nsecond\r\n0\r\n\r\n"}
	calls := 0
	rd.src = sourceFunc(func(p []byte) (int, error) {
		calls++
		switch {
		case calls == 2:
			holding = rd.buf != nil
		case calls > len(parts):
			return 0, io.EOF
		}
		return copy(p, parts[calls-1]), nil
	})
	var sb strings.Builder
	p := make([]byte, readSize)
	cr := &chunkedReader{rd: rd}
	for {
		n, err := cr.Read(p)
		sb.Write(p[:n])
		if errors.Is(err, io.EOF) {
			return holding, sb.String(), nil
		}
		if err != nil {
			return holding, sb.String(), err
		}
	}
}

type sourceFunc func(p []byte) (int, error)

func (f sourceFunc) Read(p []byte) (int, error) { return f(p) }
