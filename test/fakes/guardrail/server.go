// Package guardrail is a fake guardrail webhook for tests: the workshop's webhook of
// lab 10, served per Gloo's guardrail webhook contract (POST /request with a prompt's
// messages, POST /response with an answer's choices). It records every call, and can be
// told to fail so that tests can check the gateway fails closed.
//
// Its rules, fixed as the workshop's: a prompt any of whose messages contains "block"
// is rejected with status 403 and body "request blocked"; otherwise every "mask" in
// the prompt's messages, or in the answer's choices, is replaced by "****" (a mask
// action); anything else passes. Matching is case-sensitive, on substrings.
package guardrail

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/claimgate/claimgate/test/fakes/fakeserver"
)

// The workshop's rules.
const (
	BlockWord    = "block"
	RejectStatus = http.StatusForbidden
	RejectBody   = "request blocked"
	MaskWord     = "mask"
	Masked       = "****"
)

// Message is a message of a prompt, or the message of an answer's choice.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Call is one call the webhook received and could decode.
type Call struct {
	// Path is "/request" or "/response".
	Path string
	// Header is the call's header as received (forwarded headers included).
	Header http.Header
	// Messages are a /request call's messages.
	Messages []Message
	// Choices are a /response call's choices' messages.
	Choices []Message
}

// Failure is how the webhook misbehaves (fakeserver's failures).
type Failure = fakeserver.Failure

// The failures.
const (
	Healthy       = fakeserver.Healthy
	Hang          = fakeserver.Hang
	InternalError = fakeserver.InternalError
	Malformed     = fakeserver.Malformed
)

// Server is the fake webhook: an http.Handler, which Start serves on a loopback port.
// It is safe for concurrent use.
type Server struct {
	fakeserver.Base
	mu    sync.Mutex
	calls []Call
}

// New returns a healthy webhook, not yet listening: use it as an http.Handler or Start
// it.
func New() *Server {
	return &Server{}
}

// Start serves the webhook over plain HTTP on a loopback port until the test ends.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.Serve(t, s)
}

// Calls returns the calls received so far, oldest first, including those answered
// with a failure.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls received so far on path ("/request" or "/response").
func (s *Server) CallsTo(path string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// Reset forgets the calls received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// The contract's wire forms.
type (
	promptCall struct {
		Body *struct {
			Messages *[]Message `json:"messages"`
		} `json:"body"`
	}
	answerCall struct {
		Body *struct {
			Choices *[]choice `json:"choices"`
		} `json:"body"`
	}
	choice struct {
		Message Message `json:"message"`
	}
)

// ServeHTTP answers POST /request and POST /response; a call it cannot decode is
// answered 422, as the contract's validation error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/request" && r.URL.Path != "/response" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	c := Call{Path: r.URL.Path, Header: r.Header.Clone()}
	var ok bool
	if c.Path == "/request" {
		ok = decodePrompt(r, &c)
	} else {
		ok = decodeAnswer(r, &c)
	}
	s.mu.Lock()
	if ok {
		s.calls = append(s.calls, c)
	}
	s.mu.Unlock()
	internal := func(w http.ResponseWriter) { http.Error(w, "internal server error", http.StatusInternalServerError) }
	if s.Misbehave(w, r, internal, `{"action": {"body": `) {
		return
	}
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []map[string]any{{
			"loc": []string{"body"}, "msg": "the body does not follow the contract", "type": "value_error",
		}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"action": decide(c)})
}

func decodePrompt(r *http.Request, c *Call) bool {
	var p promptCall
	if json.NewDecoder(r.Body).Decode(&p) != nil || p.Body == nil || p.Body.Messages == nil {
		return false
	}
	c.Messages = *p.Body.Messages
	return true
}

func decodeAnswer(r *http.Request, c *Call) bool {
	var a answerCall
	if json.NewDecoder(r.Body).Decode(&a) != nil || a.Body == nil || a.Body.Choices == nil {
		return false
	}
	c.Choices = make([]Message, len(*a.Body.Choices))
	for i, ch := range *a.Body.Choices {
		c.Choices[i] = ch.Message
	}
	return true
}

// decide applies the workshop's rules: the action to answer c with.
func decide(c Call) any {
	if c.Path == "/request" {
		for _, m := range c.Messages {
			if strings.Contains(m.Content, BlockWord) {
				return map[string]any{"body": RejectBody, "status_code": RejectStatus, "reason": "blocked word"}
			}
		}
		if masked, changed := mask(c.Messages); changed {
			return map[string]any{"body": map[string]any{"messages": masked}, "reason": "masked word"}
		}
		return map[string]any{"reason": "no match"}
	}
	masked, changed := mask(c.Choices)
	if !changed {
		return map[string]any{"reason": "no match"}
	}
	choices := make([]choice, len(masked))
	for i, m := range masked {
		choices[i] = choice{Message: m}
	}
	return map[string]any{"body": map[string]any{"choices": choices}, "reason": "masked word"}
}

func mask(msgs []Message) ([]Message, bool) {
	out := make([]Message, len(msgs))
	changed := false
	for i, m := range msgs {
		out[i] = Message{Role: m.Role, Content: strings.ReplaceAll(m.Content, MaskWord, Masked)}
		changed = changed || out[i].Content != m.Content
	}
	return out, changed
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
