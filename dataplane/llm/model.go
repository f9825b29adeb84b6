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
	if r.ContentLength > limit {
		return ErrBodyTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	if int64(len(body)) > limit {
		return ErrBodyTooLarge
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
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
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
