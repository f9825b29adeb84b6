package llm

import (
	"math"
	"strconv"
)

// Usage is the number of tokens one request consumed, as the provider reported it in its
// answer or, where it did not, as estimated (see EstimateTokens).
type Usage struct {
	// Input is the prompt's tokens, cached ones included.
	Input int64
	// Output is the generated tokens, reasoning ones included.
	Output int64
	// Estimated is set when at least one non-zero count comes from the estimate rather than
	// from the provider.
	Estimated bool
	// Model is the model that answered, as the answer names it: the top-level "model" of
	// an OpenAI-style answer or chunk (OpenAI, Azure OpenAI, Mistral, the compatible APIs)
	// and of Anthropic's message, message_start's message.model in Anthropic's stream,
	// response.model in the Responses API's events, Gemini's "modelVersion". It is the
	// first non-empty name, its JSON string's bytes as written (escapes are not decoded);
	// a name longer than 128 bytes is not kept. "" when the answer named none (or came
	// encoded). It is set in the usage reported when the answer ends, not in the
	// progress reports of a stream. The upstream chooses it: bound it before using it as
	// a label.
	Model string
}

// Total is Input plus Output.
func (u Usage) Total() int64 { return satAdd(u.Input, u.Output) }

// bytesPerToken is the estimate's rule of thumb: about four bytes of English text (or of
// JSON) per token.
const bytesPerToken = 4

// maxTokens bounds every count a provider reports, so that sums never overflow.
const maxTokens = 1 << 40

// EstimateTokens is the estimate used when a provider reported no count: one token per
// four bytes, rounded up. Output is estimated from the bytes of the generated text as they
// appear in the answer's JSON strings (the content, text, arguments, thinking, ... members,
// escapes included), input from the request body's size.
func EstimateTokens(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return n/bytesPerToken + min(n%bytesPerToken, 1)
}

// count is one token count in a usage object: absent (or not a non-negative number) is
// not ok, so that a later event's partial usage never erases an earlier count.
type count struct {
	n  int64
	ok bool
}

// readCount reads a count from a member's JSON value: a non-negative number (an
// integer, or a number with a fraction or an exponent, truncated); anything else is
// absent.
func readCount(b []byte) count {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		if n >= 0 {
			return count{n: min(n, maxTokens), ok: true}
		}
		return count{}
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil && f >= 0 && !math.IsInf(f, 0) {
		return count{n: int64(min(f, maxTokens)), ok: true}
	}
	return count{}
}

// wireUsage is every provider's usage object: OpenAI's (and Mistral's, Azure's, the
// OpenAI-compatible APIs') usage {prompt_tokens, completion_tokens}; Anthropic's and
// OpenAI's Responses API usage {input_tokens, output_tokens, cache_*_input_tokens};
// Gemini's usageMetadata {promptTokenCount, candidatesTokenCount, ...}.
type wireUsage struct {
	PromptTokens     count
	CompletionTokens count

	InputTokens   count
	OutputTokens  count
	CacheCreation count
	CacheRead     count

	PromptTokenCount        count
	ToolUsePromptTokenCount count
	CandidatesTokenCount    count
	ThoughtsTokenCount      count
	TotalTokenCount         count
}

// reported is the latest counts a provider reported for one answer. Every provider
// reports running totals (Anthropic's message_delta and Gemini's chunks repeat the counts
// so far), so a later count replaces an earlier one.
type reported struct {
	input, output count
}

// usageScope is where a usage object sits: at the top of an answer or event, or inside
// the message of Anthropic's message_start, whose output count is only a placeholder.
type usageScope uint8

const (
	scopeTop usageScope = iota
	scopeMessageStart
)

// add reads one usage object; one that does not parse is ignored.
func (r *reported) add(obj []byte, scope usageScope) {
	var w wireUsage
	if !w.decode(obj) {
		return
	}
	in, out := w.input(), w.output()
	if in.ok {
		r.input = in
	}
	if out.ok && scope == scopeTop {
		r.output = out
	}
}

// input is the prompt's count in whichever shape the object has.
func (w *wireUsage) input() count {
	switch {
	case w.PromptTokens.ok:
		return w.PromptTokens
	case w.InputTokens.ok:
		// Anthropic counts cache reads and writes apart from input_tokens.
		return sumCounts(w.InputTokens, w.CacheCreation, w.CacheRead)
	case w.PromptTokenCount.ok:
		return sumCounts(w.PromptTokenCount, w.ToolUsePromptTokenCount)
	}
	return count{}
}

// output is the generated count in whichever shape the object has. Gemini counts thoughts
// apart from candidates; when it gives only a total, output is the total less the prompt.
func (w *wireUsage) output() count {
	switch {
	case w.CompletionTokens.ok:
		return w.CompletionTokens
	case w.OutputTokens.ok:
		return w.OutputTokens
	case w.CandidatesTokenCount.ok || w.ThoughtsTokenCount.ok:
		return sumCounts(w.CandidatesTokenCount, w.ThoughtsTokenCount)
	case w.TotalTokenCount.ok:
		in := w.input()
		return count{n: max(w.TotalTokenCount.n-in.n, 0), ok: true}
	}
	return count{}
}

func sumCounts(cs ...count) count {
	var s count
	for _, c := range cs {
		if c.ok {
			s = count{n: satAdd(s.n, c.n), ok: true}
		}
	}
	return s
}

// satAdd adds two non-negative counts without overflowing.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
