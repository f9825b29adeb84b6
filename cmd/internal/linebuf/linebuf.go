// Package linebuf gathers the lines of a log on their way to a file and writes them out
// together, every interval or when they fill the buffer, so that a process logging a
// line per request does not make a system call per request. Each Write is kept whole.
package linebuf

import (
	"errors"
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
	var err error
	switch {
	case b.closed:
		err = b.writeLocked(p)
	case len(b.buf)+len(p) > b.size:
		err = b.flushLocked()
	}
	if !b.closed {
		if len(p) > b.size {
			err = errors.Join(err, b.writeLocked(p))
		} else {
			b.buf = append(b.buf, p...)
		}
	}
	b.mu.Unlock()
	b.report(err)
	return len(p), nil
}

// Flush writes out what the buffer holds.
func (b *Buffer) Flush() {
	b.mu.Lock()
	err := b.flushLocked()
	b.mu.Unlock()
	b.report(err)
}

// Close flushes the buffer and stops its timer; later writes go out at once.
func (b *Buffer) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	err := b.flushLocked()
	b.mu.Unlock()
	b.report(err)
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

func (b *Buffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	err := b.writeLocked(b.buf)
	b.buf = b.buf[:0]
	return err
}

// writeLocked writes p to w, returning its error when it is to be reported (the
// first, then at most once a minute).
func (b *Buffer) writeLocked(p []byte) error {
	_, err := b.w.Write(p)
	if err == nil || b.onError == nil {
		return nil
	}
	if now := time.Now(); now.Sub(b.reportedAt) >= errorEvery {
		b.reportedAt = now
		return err
	}
	return nil
}

// report tells onError about err, outside the lock: onError may log, even here.
func (b *Buffer) report(err error) {
	if err != nil {
		b.onError(err)
	}
}
