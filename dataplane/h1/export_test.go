package h1

import (
	"bytes"
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
