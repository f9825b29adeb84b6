package h1

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// readBufferSize is the size of a connection's read buffer.
const readBufferSize = 4 << 10

// directReadSize is the smallest caller's buffer a body is read into straight from the
// connection when nothing is buffered: no smaller than the read buffer, so that a read
// is never smaller than bufio.Reader's would be (the reverse proxy's copy buffer is
// 4 KiB).
const directReadSize = readBufferSize

// minAwaitSize is the smallest caller's buffer await waits in: smaller, the wait
// borrows a read buffer instead. A streamed answer's events are a few hundred bytes,
// and the reverse proxy copies an event stream through a buffer of 1 KiB.
const minAwaitSize = 512

// maxEmptyReads bounds the reads in a row that return nothing and no error.
const maxEmptyReads = 100

// errBufferFull is a line longer than the read buffer: the buffer is handed out whole.
var errBufferFull = errors.New("h1: line longer than the read buffer")

// readBuffers are the connections' read buffers.
var readBuffers = sync.Pool{New: func() any {
	b := make([]byte, readBufferSize)
	return &b
}}

// reader buffers what a connection receives. Its buffer comes from readBuffers only
// while it holds bytes, or while a read into it is under way: a connection idle in the
// pool holds none, and neither does one waiting in the middle of a streamed body for
// its upstream's next bytes (see Read and await). Only the goroutine reading the
// answer uses it.
type reader struct {
	src  io.Reader
	buf  *[]byte // nil while lent back
	r, w int     // the buffered bytes are (*buf)[r:w]
	err  error   // the source's error, returned once the buffered bytes are read
}

// buffered is the number of bytes buffered.
func (b *reader) buffered() int { return b.w - b.r }

// release gives the buffer back when it holds nothing. No slice readSlice returned may
// be in use.
func (b *reader) release() {
	if b.buf != nil && b.r == b.w {
		readBuffers.Put(b.buf)
		b.buf, b.r, b.w = nil, 0, 0
	}
}

// takeErr returns the source's error and forgets it.
func (b *reader) takeErr() error {
	err := b.err
	b.err = nil
	return err
}

// fill reads once more from the source into the buffer, borrowing one when needed.
func (b *reader) fill() {
	if b.buf == nil {
		b.buf = readBuffers.Get().(*[]byte)
	}
	buf := *b.buf
	if b.r > 0 {
		b.w = copy(buf, buf[b.r:b.w])
		b.r = 0
	}
	for range maxEmptyReads {
		n, err := b.src.Read(buf[b.w:])
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	b.err = io.ErrNoProgress
}

// readSlice reads up to and including the first delim, as bufio.Reader's ReadSlice
// does: the line is the buffer's, valid until the next read; when the source fails
// first it returns what was buffered and the error; when the buffer fills first, the
// whole buffer and errBufferFull.
func (b *reader) readSlice(delim byte) ([]byte, error) {
	searched := 0
	for {
		if b.buf != nil {
			buf := *b.buf
			if i := bytes.IndexByte(buf[b.r+searched:b.w], delim); i >= 0 {
				line := buf[b.r : b.r+searched+i+1]
				b.r += searched + i + 1
				return line, nil
			}
			if b.err != nil || b.buffered() == len(buf) {
				line := buf[b.r:b.w]
				b.r = b.w
				if b.err != nil {
					return line, b.takeErr()
				}
				return line, errBufferFull
			}
		} else if b.err != nil {
			return nil, b.takeErr()
		}
		searched = b.buffered()
		b.fill()
	}
}

// Read reads into p what is buffered or, with nothing buffered, from the source: into
// p directly when it is large enough, without holding a buffer while the source makes
// it wait. A body framed by its length or by the connection's close reads it.
func (b *reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if b.buffered() > 0 {
			return 0, nil
		}
		return 0, b.takeErr()
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.takeErr()
		}
		b.release()
		if len(p) >= directReadSize {
			return b.src.Read(p)
		}
		b.fill()
		if b.r == b.w {
			return 0, b.takeErr()
		}
	}
	n := copy(p, (*b.buf)[b.r:b.w])
	b.r += n
	b.release()
	return n, nil
}

// await waits, when nothing is buffered, for the source's next bytes without holding a
// buffer: they are read into scratch (the caller's buffer, not in use yet, when of at
// least minAwaitSize), then buffered.
func (b *reader) await(scratch []byte) {
	if b.r != b.w || b.err != nil || len(scratch) < minAwaitSize {
		return
	}
	b.release()
	n, err := b.src.Read(scratch[:min(len(scratch), readBufferSize)])
	if n > 0 {
		b.buf = readBuffers.Get().(*[]byte)
		b.r, b.w = 0, copy(*b.buf, scratch[:n])
	}
	b.err = err
}

// hasLine reports whether a whole line is buffered.
func (b *reader) hasLine() bool {
	return b.buffered() > 0 && bytes.IndexByte((*b.buf)[b.r:b.w], '\n') >= 0
}

// readCRLF reads the two bytes that end a chunk's data, and reports whether they are
// CRLF.
func (b *reader) readCRLF() (bool, error) {
	for b.buffered() < 2 && b.err == nil {
		b.fill()
	}
	if b.buffered() < 2 {
		err := b.takeErr()
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return false, err
	}
	buf := *b.buf
	ok := buf[b.r] == '\r' && buf[b.r+1] == '\n'
	b.r += 2
	b.release()
	return ok, nil
}
