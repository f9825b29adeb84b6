package h1

import (
	"bytes"
	"errors"
	"io"
)

// maxChunkLine bounds a chunk-size line, extensions included.
const maxChunkLine = 4096

// chunkedReader decodes a chunked body from a connection's reader, as strictly as
// net/http's: a chunk-size line ends with CRLF and holds no other CR, its size is at
// most 16 hex digits, its extensions are dropped, each chunk's data ends with CRLF, and
// a body whose framing outweighs its data (more than 16 bytes a chunk plus twice the
// data, by 16 KiB) is refused. It returns io.EOF at the last chunk, before the trailer.
// Between chunks it waits for the next without holding a read buffer (reader.await).
type chunkedReader struct {
	rd       *reader
	n        uint64 // the current chunk's unread bytes
	err      error
	checkEnd bool  // the CRLF after the chunk's data is next
	excess   int64 // framing not paid for by data
}

func (cr *chunkedReader) Read(p []byte) (n int, err error) {
	for cr.err == nil {
		if cr.checkEnd {
			if n > 0 && cr.rd.buffered() < 2 {
				break // data to return: do not wait for the rest
			}
			var ok bool
			if ok, cr.err = cr.rd.readCRLF(); cr.err == nil && !ok {
				cr.err = malformed("chunk data not ended by CRLF")
			}
			if cr.err != nil {
				break
			}
			cr.checkEnd = false
		}
		if cr.n == 0 {
			if n > 0 && !cr.rd.hasLine() {
				break // data to return: do not wait for the next chunk
			}
			if n == 0 {
				cr.rd.await(p)
			}
			cr.beginChunk()
			continue
		}
		if len(p) == 0 {
			break
		}
		chunk := p
		if uint64(len(chunk)) > cr.n {
			chunk = chunk[:cr.n]
		}
		var got int
		got, cr.err = cr.rd.Read(chunk)
		n += got
		p = p[got:]
		cr.n -= uint64(got)
		switch {
		case cr.n == 0 && cr.err == nil:
			cr.checkEnd = true
		case errors.Is(cr.err, io.EOF):
			cr.err = io.ErrUnexpectedEOF
		}
	}
	return n, cr.err
}

// beginChunk reads a chunk-size line.
func (cr *chunkedReader) beginChunk() {
	line, err := cr.rd.readSlice('\n')
	switch {
	case errors.Is(err, io.EOF):
		cr.err = io.ErrUnexpectedEOF
		return
	case errors.Is(err, errBufferFull):
		cr.err = malformed("chunk-size line longer than %d bytes", maxChunkLine)
		return
	case err != nil:
		cr.err = err
		return
	}
	if i := bytes.IndexByte(line, '\r'); len(line) < 2 || i != len(line)-2 {
		cr.err = malformed("chunk-size line not ended by CRLF, or holding a CR")
		return
	}
	line = line[:len(line)-2]
	if len(line) >= maxChunkLine {
		cr.err = malformed("chunk-size line longer than %d bytes", maxChunkLine)
		return
	}
	cr.excess += int64(len(line)) + 2 // the line, and the CRLF after the data
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	line, _, _ = bytes.Cut(line, []byte(";"))
	if cr.n, cr.err = parseChunkSize(line); cr.err != nil {
		return
	}
	cr.excess = max(cr.excess-16-2*int64(cr.n), 0)
	if cr.excess > 16<<10 {
		cr.err = malformed("chunked body with too much framing for its data")
		return
	}
	if cr.n == 0 {
		cr.err = io.EOF
	}
}

// parseChunkSize reads a chunk size: 1 to 16 hex digits.
func parseChunkSize(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, malformed("empty chunk size")
	}
	if len(v) > 16 {
		return 0, malformed("chunk size of more than 16 hex digits")
	}
	var n uint64
	for _, c := range v {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, malformed("chunk size %q is not hex", truncate(string(v)))
		}
		n = n<<4 | uint64(c)
	}
	return n, nil
}
