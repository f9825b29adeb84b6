// Package moderation is a fake OpenAI moderation endpoint for tests (POST
// /v1/moderations), as the moderation prompt guard calls it. It flags every input that
// contains FlagWord, records every call, and can be told to fail so that tests can
// check the gateway fails closed.
package moderation

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/test/fakes/fakeserver"
)

// FlagWord is the text that makes an input flagged (case-sensitive, on substrings).
const FlagWord = "violent"

// Call is one call the endpoint received and could decode.
type Call struct {
	// Header is the call's header as received.
	Header http.Header
	// Model is the model asked for ("" when the call named none).
	Model string
	// Input is the texts to moderate (a single string input is one text).
	Input []string
}

// Failure is how the endpoint misbehaves (fakeserver's failures).
type Failure = fakeserver.Failure

// The failures.
const (
	Healthy       = fakeserver.Healthy
	Hang          = fakeserver.Hang
	InternalError = fakeserver.InternalError
	Malformed     = fakeserver.Malformed
)

// Server is the fake endpoint: an http.Handler, which Start serves on a loopback port.
// It is safe for concurrent use.
type Server struct {
	fakeserver.Base
	mu    sync.Mutex
	calls []Call
	key   string
}

// New returns a healthy endpoint that accepts any API key, not yet listening.
func New() *Server {
	return &Server{}
}

// RequireKey makes the endpoint answer 401, as OpenAI does, to a call without
// "Authorization: Bearer key".
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = key
}

// Start serves the endpoint over plain HTTP on a loopback port until the test ends.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.Serve(t, s)
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Reset forgets the calls received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// ServeHTTP answers POST /v1/moderations.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/moderations" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	c, ok := decodeCall(r)
	s.mu.Lock()
	key := s.key
	if ok {
		s.calls = append(s.calls, c)
	}
	s.mu.Unlock()
	switch {
	case s.Misbehave(w, r, func(w http.ResponseWriter) {
		writeError(w, http.StatusInternalServerError, "The server had an error.", "server_error")
	}, `{"results": [`):
	case key != "" && r.Header.Get("Authorization") != "Bearer "+key:
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.", "invalid_api_key")
	case !ok:
		writeError(w, http.StatusBadRequest, "The input is not a string or a list of strings.", "invalid_request_error")
	default:
		writeJSON(w, http.StatusOK, answer(c))
	}
}

func decodeCall(r *http.Request) (Call, bool) {
	var req struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	c := Call{Header: r.Header.Clone()}
	if json.NewDecoder(r.Body).Decode(&req) != nil {
		return c, false
	}
	c.Model = req.Model
	var one string
	if json.Unmarshal(req.Input, &one) == nil {
		c.Input = []string{one}
		return c, true
	}
	return c, json.Unmarshal(req.Input, &c.Input) == nil && len(c.Input) > 0
}

type result struct {
	Flagged        bool               `json:"flagged"`
	Categories     map[string]bool    `json:"categories"`
	CategoryScores map[string]float64 `json:"category_scores"`
}

func answer(c Call) map[string]any {
	model := c.Model
	if model == "" {
		model = "omni-moderation-latest"
	}
	results := make([]result, len(c.Input))
	for i, in := range c.Input {
		flagged := strings.Contains(in, FlagWord)
		score := 0.0001
		if flagged {
			score = 0.97
		}
		results[i] = result{
			Flagged:        flagged,
			Categories:     map[string]bool{"violence": flagged},
			CategoryScores: map[string]float64{"violence": score},
		}
	}
	return map[string]any{"id": "modr-fake", "model": model, "results": results}
}

func writeError(w http.ResponseWriter, status int, msg, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": code, "code": code}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
