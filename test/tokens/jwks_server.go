package tokens

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// JWKSServer serves a JWKS document over httptest. Tests change the keys it serves, make
// it fail, and count the fetches.
type JWKSServer struct {
	*httptest.Server

	mu      sync.Mutex
	body    string
	failing bool
	hits    atomic.Int64
}

// ServeJWKS starts a server answering every GET with the JWKS of keys. It is closed when
// the test ends.
func ServeJWKS(tb testing.TB, keys ...*Key) *JWKSServer {
	tb.Helper()
	s := &JWKSServer{body: JWKS(tb, keys...)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *JWKSServer) serve(w http.ResponseWriter, _ *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	body, failing := s.body, s.failing
	s.mu.Unlock()
	if failing {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

// SetKeys replaces the served key set.
func (s *JWKSServer) SetKeys(tb testing.TB, keys ...*Key) {
	tb.Helper()
	body := JWKS(tb, keys...)
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

// SetBody replaces the served document with arbitrary text.
func (s *JWKSServer) SetBody(body string) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

// SetFailing makes every fetch answer 503 (true) or the key set again (false).
func (s *JWKSServer) SetFailing(failing bool) {
	s.mu.Lock()
	s.failing = failing
	s.mu.Unlock()
}

// Hits is how many requests the server has received.
func (s *JWKSServer) Hits() int64 { return s.hits.Load() }
