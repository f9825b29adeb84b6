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
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := ReadBody(r, limit)
	if err != nil {
		return err
	}
	if rewritten, ok := replaceModel(body, model); ok {
		body = rewritten
	}
	SetBody(r, body)
	return nil
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

// RequestModel is the top-level "model" of a JSON request body, read without decoding
// the rest of it (the messages); "" when there is none.
func RequestModel(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if key == "model" {
			var m string
			if dec.Decode(&m) != nil || len(m) > maxModelLength {
				return ""
			}
			return m
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

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
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, false
	}
	return out, true
}
