package proxy

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/dataplane/llm"
)

// prereadLimit is the largest request body, of declared length, read into memory before
// it is forwarded. A prompt is usually a few kilobytes.
const prereadLimit = 64 << 10

// readBody reads into memory the body the upstream needs whole (to override its model)
// or, when it has a declared length up to prereadLimit, to forward it in one write: for a
// body it cannot see into, the transport flushes the request's head on its own first (one
// more system call and packet per request). Larger bodies, and bodies of unknown length,
// are streamed as they arrive. A route's timeout bounds the reading (deadline, when not
// zero). It reports whether the body is now in memory.
func (s *Server) readBody(rw http.ResponseWriter, r *http.Request, up *upstream, deadline time.Time) (bool, error) {
	if !deadline.IsZero() {
		// The connection's next request gets its own deadline from the server.
		_ = http.NewResponseController(rw).SetReadDeadline(deadline)
	}
	if up.adapter != nil && up.adapter.Model() != "" {
		return true, llm.RewriteModel(r, up.adapter.Model(), s.cfg.MaxBodyBytes)
	}
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
	llm.SetBody(r, body)
	return true, nil
}
