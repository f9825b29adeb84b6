package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// prereadLimit is the largest request body, of declared length, read into memory before
// it is forwarded. A prompt is usually a few kilobytes.
const prereadLimit = 64 << 10

// preread reads a body of declared length up to prereadLimit into memory. The transport
// then writes the request's head and body in one write; for a body it cannot see into,
// it flushes the head on its own first (one more system call and packet per request).
// Larger bodies, and bodies of unknown length, are streamed as they arrive. It reports
// whether the body is now in memory.
func preread(r *http.Request) (bool, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > prereadLimit {
		return false, nil
	}
	// Not pooled: the transport may still be writing the body after the answer came.
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, body)
	_ = r.Body.Close()
	if err != nil {
		return false, fmt.Errorf("reading a request body of %d bytes: %w", r.ContentLength, err)
	}
	// A NopCloser around a bytes.Reader is what the transport knows to be in memory.
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return true, nil
}
