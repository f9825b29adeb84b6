// Package linebuf gathers the lines of a log on their way to a file and writes them out
// together, every interval or when they fill the buffer, so that a process logging a
// line per request does not make a system call per request. Each Write is kept whole.
package linebuf

import (
	"io"
	"sync"
	"time"
)

// errorEvery is how often a failing writer is reported again.
const errorEvery = time.Minute

// Buffer holds what was written until the next flush.
type Buffer struct {
	w       io.Writer
	size    int
	onError func(error)

	mu         sync.Mutex
	buf        []byte
	reportedAt time.Time
	closed     bool

	stop chan struct{}
	done chan struct{}
}

// New returns a Buffer writing to w every interval, or as soon as it holds size bytes.
// onError is told when a write to w fails (at most once a minute); the lines of that
// write are lost. Close flushes and stops it.
func New(w io.Writer, interval time.Duration, size int, onError func(error)) *Buffer {
	b := &Buffer{w: w, size: size, onError: onError, buf: make([]byte, 0, size), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(interval)
	return b
}

// Write keeps p (one or more whole lines) for the next flush; after Close it writes p
// at once. It never fails: a failing writer is reported to onError.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.writeLocked(p)
		return len(p), nil
	}
	if len(b.buf)+len(p) > b.size {
		b.flushLocked()
	}
	if len(p) > b.size {
		b.writeLocked(p)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes out what the buffer holds.
func (b *Buffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

// Close flushes the buffer and stops its timer; later writes go out at once.
func (b *Buffer) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.flushLocked()
	b.mu.Unlock()
	close(b.stop)
	<-b.done
}

func (b *Buffer) run(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

func (b *Buffer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	b.writeLocked(b.buf)
	b.buf = b.buf[:0]
}

func (b *Buffer) writeLocked(p []byte) {
	if _, err := b.w.Write(p); err != nil && b.onError != nil {
		if now := time.Now(); now.Sub(b.reportedAt) >= errorEvery {
			b.reportedAt = now
			b.onError(err)
		}
	}
}
