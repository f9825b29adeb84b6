package fakellm

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// Config tunes a Backend. The zero value is usable.
type Config struct {
	// StreamChunks is how many content chunks a streamed answer has before [DONE]; 0 means 3.
	StreamChunks int
	// StreamDelay is the pause between two streamed chunks.
	StreamDelay time.Duration
	// StreamGate, when set, is received from before the last chunk of every stream is sent,
	// so a test can prove it read the first chunks before the backend finished.
	StreamGate <-chan struct{}
	// Keep is how many requests are recorded; 0 means 16, a negative value records none.
	Keep int
	// Status, when non-zero, is returned by chat completions instead of an answer.
	Status int
}

// Request is one request as the backend received it.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// Backend is the fake provider's http.Handler.
type Backend struct {
	cfg  Config
	mu   sync.Mutex
	reqs []Request
	// answer, when set (SetAnswer), is the text of every answer, streamed in these
	// pieces, one chunk each.
	answer []string
}

// NewBackend returns a Backend configured by cfg.
func NewBackend(cfg Config) *Backend {
	if cfg.StreamChunks <= 0 {
		cfg.StreamChunks = 3
	}
	if cfg.Keep == 0 {
		cfg.Keep = 16
	}
	return &Backend{cfg: cfg}
}

// Handler returns a Backend with the default configuration.
func Handler() *Backend { return NewBackend(Config{}) }

// ServeHTTP answers the OpenAI-compatible endpoints and 404 for everything else.
func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	b.record(r, body)
	switch {
	case r.URL.Path == "/v1/models" && r.Method == http.MethodGet:
		writeModels(w)
	case r.Method == http.MethodPost && (r.URL.Path == "/v1/chat/completions" ||
		isChatPath(r.URL.Path)):
		b.chat(w, r, body)
	default:
		http.Error(w, "fakellm: no such endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// isChatPath accepts the Azure OpenAI form /openai/deployments/<name>/chat/completions.
func isChatPath(p string) bool {
	const prefix, suffix = "/openai/deployments/", "/chat/completions"
	return len(p) > len(prefix)+len(suffix) && p[:len(prefix)] == prefix && p[len(p)-len(suffix):] == suffix
}

func (b *Backend) record(r *http.Request, body []byte) {
	if b.cfg.Keep < 0 {
		return
	}
	req := Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: bytes.Clone(body),
	}
	if r.Host != "" {
		req.Header.Set("Host", r.Host)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reqs = append(b.reqs, req)
	if len(b.reqs) > b.cfg.Keep {
		b.reqs = b.reqs[len(b.reqs)-b.cfg.Keep:]
	}
}

// Requests returns the recorded requests, oldest first.
func (b *Backend) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.reqs...)
}

// Last returns the most recent request; ok is false when none was recorded.
func (b *Backend) Last() (req Request, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.reqs) == 0 {
		return Request{}, false
	}
	return b.reqs[len(b.reqs)-1], true
}

// SetAnswer makes every chat answer say the concatenation of pieces; a streamed answer
// sends one chunk per piece (StreamChunks is then ignored). No pieces restores the
// default answer.
func (b *Backend) SetAnswer(pieces ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answer = append([]string(nil), pieces...)
}

// pieces is the streamed answer's chunk texts, or nil for the default ones.
func (b *Backend) pieces() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.answer
}

// Reset forgets the recorded requests.
func (b *Backend) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reqs = nil
}
