// Package fakeserver is what the fakes of the services a proxy calls out to (the
// guardrail webhook, the moderation API) share: a loopback HTTP server for a test, and
// failures the test can command.
package fakeserver

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// Failure is how a fake misbehaves.
type Failure int

// The failures.
const (
	// Healthy answers as the real service does.
	Healthy Failure = iota
	// Hang holds every call until its client gives up or the server closes.
	Hang
	// InternalError answers every call with status 500.
	InternalError
	// Malformed answers every call with status 200 and a body that is not JSON.
	Malformed
)

// Base serves a fake on a loopback port and misbehaves on command; a fake embeds it.
// The zero value is ready. It is safe for concurrent use.
type Base struct {
	mu      sync.Mutex
	failure Failure
	release chan struct{}
	closed  bool
	srv     *httptest.Server
}

// Serve serves h over plain HTTP on a loopback port until the test ends.
func (b *Base) Serve(t testing.TB, h http.Handler) {
	t.Helper()
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.Close)
}

// Close stops the server, first releasing any held (Hang) call.
func (b *Base) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.releaseLocked())
	}
	b.mu.Unlock()
	if b.srv != nil {
		b.srv.Close()
	}
}

func (b *Base) releaseLocked() chan struct{} {
	if b.release == nil {
		b.release = make(chan struct{})
	}
	return b.release
}

// URL is the started fake's base URL, such as http://127.0.0.1:41234.
func (b *Base) URL() string { return b.srv.URL }

// Host is the started fake's IP address.
func (b *Base) Host() string {
	host, _, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	return host
}

// Port is the started fake's port.
func (b *Base) Port() uint32 {
	_, port, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	p, _ := strconv.ParseUint(port, 10, 16)
	return uint32(p)
}

// Fail makes every following call misbehave as f (Healthy restores the answers).
func (b *Base) Fail(f Failure) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failure = f
}

// Misbehave answers r as the commanded failure and reports whether it did: Hang holds
// it, InternalError answers with internal, Malformed with status 200 and the bytes of
// malformed as JSON; Healthy answers nothing.
func (b *Base) Misbehave(w http.ResponseWriter, r *http.Request, internal func(http.ResponseWriter), malformed string) bool {
	b.mu.Lock()
	f, release := b.failure, b.releaseLocked()
	b.mu.Unlock()
	switch f {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-release:
		}
	case InternalError:
		internal(w)
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(malformed))
	default:
		return false
	}
	return true
}
