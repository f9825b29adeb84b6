package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// includeUsageTrue is the stream_options member that asks for the usage chunk.
const includeUsageTrue = `{"include_usage":true}`

// span is a member's value in a JSON object's bytes: body[start:end].
type span struct {
	start, end int
	found      bool
}

// memberSpans finds the values of the named members of the JSON object obj (the last
// one when a name repeats, as decoders do), and the offset of the object's closing brace.
// ok is false when obj is not one valid JSON object.
func memberSpans(obj []byte, names ...string) (spans []span, closing int, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, 0, false
	}
	spans = make([]span, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, 0, false
		}
		end := int(dec.InputOffset())
		for i, n := range names {
			if tok == n {
				spans[i] = span{start: end - len(raw), end: end, found: true}
			}
		}
	}
	closing = int(dec.InputOffset())
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, 0, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, 0, false // bytes after the object
	}
	for closing < len(obj) && obj[closing] != '}' {
		closing++ // white space before the brace
	}
	return spans, closing, true
}

// setIncludeUsage returns body, a streamed chat completion request, with
// stream_options.include_usage true, and whether it changed it. Every other member keeps
// its bytes and its place. A body that is not a JSON object whose stream is true, one
// whose stream_options is neither an object nor null, or one longer than limit, is left
// alone.
func setIncludeUsage(body []byte, limit int) ([]byte, bool) {
	if len(body) > limit {
		return body, false
	}
	spans, closing, ok := memberSpans(body, "stream", "stream_options")
	if !ok || !spans[0].found || string(body[spans[0].start:spans[0].end]) != "true" {
		return body, false
	}
	opts := spans[1]
	if !opts.found {
		return splice(body, closing, closing, `,"stream_options":`+includeUsageTrue), true
	}
	val := body[opts.start:opts.end]
	if string(val) == "null" {
		return splice(body, opts.start, opts.end, includeUsageTrue), true
	}
	inner, innerClosing, ok := memberSpans(val, "include_usage")
	if !ok {
		return body, false
	}
	iu := inner[0]
	switch {
	case iu.found && string(val[iu.start:iu.end]) == "true":
		return body, false // the client asked for it
	case iu.found:
		return splice(body, opts.start+iu.start, opts.start+iu.end, "true"), true
	}
	sep := ","
	if len(bytes.TrimSpace(val[1:innerClosing])) == 0 {
		sep = ""
	}
	at := opts.start + innerClosing
	return splice(body, at, at, sep+`"include_usage":true`), true
}

// splice returns a new slice: b with b[from:to] replaced by s.
func splice(b []byte, from, to int, s string) []byte {
	out := make([]byte, 0, len(b)-(to-from)+len(s))
	out = append(out, b[:from]...)
	out = append(out, s...)
	return append(out, b[to:]...)
}
