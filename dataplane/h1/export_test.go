package h1

import (
	"bytes"
	"errors"
	"io"
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

// DecodeChunked decodes data as a chunked body, reading it through the connection's
// reader in reads of size bytes, from a source giving it in pieces of at most piece
// bytes; it returns what the body gave and its error (nil at its clean end).
func DecodeChunked(data []byte, size, piece int) ([]byte, error) {
	cr := &chunkedReader{rd: &reader{src: &pieceReader{data: data, piece: piece}}}
	var out []byte
	p := make([]byte, size)
	for {
		n, err := cr.Read(p)
		out = append(out, p[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
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
