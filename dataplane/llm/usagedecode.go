package llm

import (
	"bytes"
	"unicode/utf8"
)

// A usage object is decoded once per answer (and per event of a stream that reports
// usage), on every metered request: it is parsed here with the guards' pooled parser
// (newEditor), as strictly as encoding/json parses, and its members read as encoding/json would decode
// them into wireUsage's counts.

// usageMemberNames are the members of a usage object that hold a count, in the order
// of wireUsage's fields.
var usageMemberNames = [...]string{
	"prompt_tokens", "completion_tokens",
	"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
	"promptTokenCount", "toolUsePromptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "totalTokenCount",
}

// counts are w's fields, in the order of usageMemberNames.
func (w *wireUsage) counts() [len(usageMemberNames)]*count {
	return [...]*count{
		&w.PromptTokens, &w.CompletionTokens,
		&w.InputTokens, &w.OutputTokens, &w.CacheCreation, &w.CacheRead,
		&w.PromptTokenCount, &w.ToolUsePromptTokenCount, &w.CandidatesTokenCount, &w.ThoughtsTokenCount, &w.TotalTokenCount,
	}
}

// decode reads obj, a usage object, into w, and reports whether it could: obj must be
// valid JSON and an object. As encoding/json matches them, a member is the count whose
// name its decoded key is, exactly or else without regard to case, and the last of
// members of the same name wins; a value that is not a non-negative number leaves its
// count absent (readCount). Other members are skipped, whatever they hold.
func (w *wireUsage) decode(obj []byte) bool {
	e, ok := newEditor(obj)
	if !ok {
		return false
	}
	defer e.release()
	t := &e.t
	if t.kind(0) != jsonObject {
		return false
	}
	counts := w.counts()
	for c := int(t.nodes[0].first); c != 0; c = int(t.nodes[c].next) {
		if k := usageMember(t.keyRaw(c), t.nodes[c].keyPlain); k >= 0 {
			*counts[k] = readCount(t.raw(c))
		}
	}
	return true
}

// usageMember is the index in usageMemberNames of the member whose key's bytes, between
// its quotes, are raw (plain: without escapes, valid UTF-8), or -1.
func usageMember(raw []byte, plain bool) int {
	key := raw
	if !plain {
		key = []byte(unquoteJSON(raw))
	}
	for i, name := range usageMemberNames {
		if string(key) == name {
			return i
		}
	}
	ascii := true
	for _, c := range key {
		ascii = ascii && c < utf8.RuneSelf
	}
	for i, name := range usageMemberNames {
		// Only a key with non-ASCII letters (the Kelvin sign, the long s) folds to a
		// name of another length.
		if (!ascii || len(key) == len(name)) && bytes.EqualFold(key, []byte(name)) {
			return i
		}
	}
	return -1
}
