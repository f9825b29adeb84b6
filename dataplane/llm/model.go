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

// RequestModel is the top-level "model" of a JSON request body, read without decoding
// the rest of it (the messages); "" when there is none.
func RequestModel(body []byte) string {
	var model string
	topLevel(body, func(key string, dec *json.Decoder) (bool, bool) {
		if key != "model" {
			return false, false
		}
		if dec.Decode(&model) != nil || len(model) > maxModelLength {
			model = ""
		}
		return true, true
	})
	return model
}

// RequestMaxTokens is the most tokens a JSON request body lets the answer generate: its
// top-level "max_tokens" (OpenAI's chat and legacy completions, Mistral, Anthropic),
// "max_completion_tokens" (OpenAI's newer name, which wins), "max_output_tokens"
// (OpenAI's responses API) or Gemini's generationConfig.maxOutputTokens, read without
// decoding the rest; false when it states none (or not as a positive integer).
func RequestMaxTokens(body []byte) (int64, bool) {
	var best, other int64
	topLevel(body, func(key string, dec *json.Decoder) (bool, bool) {
		switch key {
		case "max_completion_tokens":
			best = decodeCount(dec)
		case "max_tokens", "max_output_tokens":
			other = decodeCount(dec)
		case "generationConfig":
			var gc struct {
				MaxOutputTokens json.RawMessage `json:"maxOutputTokens"`
			}
			if dec.Decode(&gc) == nil {
				other = parseCount(gc.MaxOutputTokens)
			}
		default:
			return false, false
		}
		return true, best > 0
	})
	if best > 0 {
		return best, true
	}
	return other, other > 0
}

// decodeCount decodes the next value as a token count, 0 when it is not one.
func decodeCount(dec *json.Decoder) int64 {
	var raw json.RawMessage
	if dec.Decode(&raw) != nil {
		return 0
	}
	return parseCount(raw)
}

func parseCount(raw json.RawMessage) int64 {
	var c count
	if c.UnmarshalJSON(raw) != nil || !c.ok {
		return 0
	}
	return c.n
}

// topLevel calls member for each top-level member of a JSON object body, in order,
// with the decoder before the member's value. member reports whether it decoded the
// value (else it is skipped) and whether to stop.
func topLevel(body []byte, member func(key string, dec *json.Decoder) (read, stop bool)) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return
		}
		k, _ := key.(string)
		read, stop := member(k, dec)
		if stop {
			return
		}
		if read {
			continue
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return
		}
	}
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
	out, err := encodeJSON(obj)
	if err != nil {
		return nil, false
	}
	return out, true
}
