package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Format is the shape of a provider's request body.
type Format uint8

// The request body formats.
const (
	// FormatOpenAI has a messages array of {role, content}: OpenAI, Mistral, Azure
	// OpenAI and every OpenAI-compatible API.
	FormatOpenAI Format = iota
	// FormatAnthropic is Anthropic's messages API: system text is the top-level system.
	FormatAnthropic
	// FormatGemini is Gemini's generateContent: contents of {role, parts} and a
	// systemInstruction.
	FormatGemini
)

// Message is a chat message a route adds to every prompt.
type Message struct{ Role, Content string }

// FieldDefault sets a top-level member of the request body.
type FieldDefault struct {
	Field string
	Value json.RawMessage
	// Override sets the member even when the client set it.
	Override bool
}

// Shaping is a route's change to every request body: defaults first, then the
// messages. It is immutable and safe for concurrent use.
type Shaping struct {
	Prepend, Append []Message
	Defaults        []FieldDefault
}

// CompileShaping validates a route's AI request shaping; nil when it changes nothing.
func CompileShaping(a *snapshotv1.AiRequest) (*Shaping, error) {
	if a == nil || len(a.GetPrepend())+len(a.GetAppend())+len(a.GetDefaults()) == 0 {
		return nil, nil
	}
	s := &Shaping{Prepend: messages(a.GetPrepend()), Append: messages(a.GetAppend())}
	for i, d := range a.GetDefaults() {
		if d.GetField() == "" {
			return nil, fmt.Errorf("ai defaults[%d]: field is empty", i)
		}
		if !json.Valid([]byte(d.GetValueJson())) {
			return nil, fmt.Errorf("ai defaults[%d] (%s): value is not JSON", i, d.GetField())
		}
		s.Defaults = append(s.Defaults, FieldDefault{Field: d.GetField(), Value: json.RawMessage(d.GetValueJson()), Override: d.GetOverride()})
	}
	return s, nil
}

func messages(in []*snapshotv1.AiMessage) []Message {
	out := make([]Message, 0, len(in))
	for _, m := range in {
		out = append(out, Message{Role: m.GetRole(), Content: m.GetContent()})
	}
	return out
}

// BodyFormat is the format of request bodies sent to path (the path before the
// upstream's own rewrite): Anthropic's and Gemini's native APIs have theirs, and every
// chat/completions path is OpenAI's.
func (a *Adapter) BodyFormat(path string) Format {
	if a.fullPath != "" {
		path = a.fullPath
	}
	if strings.HasSuffix(path, "/chat/completions") {
		return FormatOpenAI
	}
	switch a.prov.keyHeader {
	case "X-Api-Key":
		return FormatAnthropic
	case "X-Goog-Api-Key":
		if strings.Contains(path, ":generateContent") || strings.Contains(path, ":streamGenerateContent") {
			return FormatGemini
		}
	}
	return FormatOpenAI
}

// errNotShaped says a body is left as it is: not a JSON object, or with no messages
// where the route adds some.
var errNotShaped = errors.New("the body is not a request the route can shape")

// Shape returns body with the defaults set and the messages added in format f, and
// false (body to be sent unchanged) when body is not a JSON object or, where messages
// are to be added, has no messages of the format. Members it does not change keep
// their bytes.
func (s *Shaping) Shape(body []byte, f Format) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return body, false
	}
	for _, d := range s.Defaults {
		if _, set := obj[d.Field]; !set || d.Override {
			obj[d.Field] = d.Value
		}
	}
	if len(s.Prepend)+len(s.Append) > 0 {
		var err error
		switch f {
		case FormatAnthropic:
			err = s.shapeAnthropic(obj)
		case FormatGemini:
			err = s.shapeGemini(obj)
		default:
			err = addMessages(obj, "messages", s.Prepend, s.Append, openAIMessage)
		}
		if err != nil {
			return body, false
		}
	}
	out, err := encodeJSON(obj)
	if err != nil {
		return body, false
	}
	return out, true
}

// encodeJSON encodes v without escaping <, > and &: text keeps the spelling its
// author gave it.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the request body: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// addMessages puts the encoded prepend and append messages around the array at
// obj[key], which must be there.
func addMessages(obj map[string]json.RawMessage, key string, prepend, appendix []Message, enc func(Message) json.RawMessage) error {
	raw, ok := obj[key]
	if !ok {
		return errNotShaped
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return errNotShaped
	}
	return setJSON(obj, key, surround(prepend, list, appendix, enc))
}

// surround is mid with pre encoded before it and post after it.
func surround[T any](pre []T, mid []json.RawMessage, post []T, enc func(T) json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(pre)+len(mid)+len(post))
	for _, m := range pre {
		out = append(out, enc(m))
	}
	out = append(out, mid...)
	for _, m := range post {
		out = append(out, enc(m))
	}
	return out
}

func setJSON(obj map[string]json.RawMessage, key string, v any) error {
	b, err := encodeJSON(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	obj[key] = b
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := encodeJSON(v) // strings and maps of strings always encode
	return b
}

func openAIMessage(m Message) json.RawMessage {
	return mustJSON(map[string]string{"role": m.Role, "content": m.Content})
}

// isSystem reports whether a message goes to the system prompt of a native API.
func isSystem(m Message) bool { return strings.EqualFold(m.Role, "system") }

// split separates the system messages from the others.
func split(ms []Message) (system []string, rest []Message) {
	for _, m := range ms {
		if isSystem(m) {
			system = append(system, m.Content)
		} else {
			rest = append(rest, m)
		}
	}
	return system, rest
}

// RewriteBody reads r's JSON body (up to limit bytes), shapes it with s in format f
// when s is set, replaces its model when model is set, and makes the result r's body.
// A body that cannot be shaped is forwarded as it came (but for its model).
func RewriteBody(r *http.Request, s *Shaping, f Format, model string, limit int64) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := ReadBody(r, limit)
	if err != nil {
		return err
	}
	if s != nil {
		body, _ = s.Shape(body, f)
	}
	if model != "" {
		if rewritten, ok := replaceModel(body, model); ok {
			body = rewritten
		}
	}
	SetBody(r, body)
	return nil
}

// Model is the model a body that names client (or none, "") names once the defaults
// are set: a "model" default that is a string replaces it when it overrides or the
// client named none. Authorization by model sees what the provider will be asked for.
func (s *Shaping) Model(client string) string {
	if s == nil {
		return client
	}
	for _, d := range s.Defaults {
		var m string
		if d.Field != "model" || json.Unmarshal(d.Value, &m) != nil {
			continue
		}
		if d.Override || client == "" {
			client = m
		}
	}
	return client
}
