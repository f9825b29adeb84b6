package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// MaxBodyBytes bounds a request body the proxy reads to override its model.
const MaxBodyBytes = 10 << 20

// ErrBodyTooLarge is returned by RewriteModel when the body exceeds the limit; the proxy
// answers 413.
var ErrBodyTooLarge = errors.New("request body too large")

// RewriteModel replaces the "model" member of r's JSON body with model. A body that is not
// a JSON object is forwarded unchanged. A body longer than limit bytes fails with
// ErrBodyTooLarge.
func RewriteModel(r *http.Request, model string, limit int64) error {
	return RewriteBody(r, nil, FormatOpenAI, model, limit)
}

// SetBody makes body, which r's sender no longer changes, r's body and length. A
// NopCloser around a bytes.Reader is what the transport knows to be in memory: it then
// writes the request's head and body in one write.
func SetBody(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.GetBody = func() (io.ReadCloser, error) { return memoryBody{bytes.NewReader(body), body}, nil }
}

// memoryBody is a body SetBody set: its bytes are at hand.
type memoryBody struct {
	*bytes.Reader
	b []byte
}

func (memoryBody) Close() error { return nil }

// InMemory returns the bytes of r's body when SetBody set it, without copying them.
func InMemory(r *http.Request) ([]byte, bool) {
	if r.GetBody == nil {
		return nil, false
	}
	rc, err := r.GetBody()
	if err != nil {
		return nil, false
	}
	m, ok := rc.(memoryBody)
	return m.b, ok
}

// ReadBody reads r's whole body, closing it; a body longer than limit bytes fails with
// ErrBodyTooLarge.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, ErrBodyTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

// maxModelLength bounds a model name used as a metric label.
const maxModelLength = 128

// RequestModel is the top-level "model" of a JSON request body, read in one pass
// over it; "" when there is none: the body is not JSON (as json.Valid says) or not an
// object, the model is not a string or is longer than maxModelLength, or the body
// names it more than once, differently. Providers read the last of duplicated
// members and a check reading another would vouch for a model not asked for: a body
// naming two models names none, and a rule expecting the request's model denies it.
func RequestModel(body []byte) string {
	e, ok := newEditor(body)
	if !ok {
		return ""
	}
	defer e.release()
	t := &e.t
	model, seen := "", false
	for v := range t.members(0, "model") {
		s, ok := t.text(v)
		if !ok || len(s) > maxModelLength || seen && s != model {
			return ""
		}
		model, seen = s, true
	}
	return model
}

// RequestMaxTokens is the most tokens a JSON request body lets the answer generate: its
// top-level "max_tokens" (OpenAI's chat and legacy completions, Mistral, Anthropic),
// "max_completion_tokens" (OpenAI's newer name, which wins), "max_output_tokens"
// (OpenAI's responses API) or Gemini's generationConfig.maxOutputTokens, read in one
// pass over the body; false when it states none (or not as a positive integer). A
// member given more than once counts as its largest value: a reservation is never
// smaller than what some reading of the body allows.
func RequestMaxTokens(body []byte) (int64, bool) {
	e, ok := newEditor(body)
	if !ok {
		return 0, false
	}
	defer e.release()
	t := &e.t
	if best := largestCount(t, 0, "max_completion_tokens"); best > 0 {
		return best, true
	}
	other := max(largestCount(t, 0, "max_tokens"), largestCount(t, 0, "max_output_tokens"))
	for gc := range t.members(0, "generationConfig") {
		other = max(other, largestCount(t, gc, "maxOutputTokens"))
	}
	return other, other > 0
}

// largestCount is the largest token count among the members key of object n, 0 when
// none is one.
func largestCount(t *jsonTree, n int, key string) int64 {
	var most int64
	for v := range t.members(n, key) {
		most = max(most, parseCount(t.raw(v)))
	}
	return most
}

// parseCount is the count raw holds, 0 when it holds none (readCount).
func parseCount(raw []byte) int64 { return readCount(raw).n }

func replaceModel(body []byte, model string) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, false
	}
	m, err := json.Marshal(model)
	if err != nil {
		return nil, false
	}
	obj["model"] = m
	out, err := encodeJSON(obj)
	if err != nil {
		return nil, false
	}
	return out, true
}
