package llm

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchProse is n bytes of plain words, the kind of text a prompt or an answer holds.
func benchProse(n int) string {
	const words = "the quick brown fox jumps over the lazy dog while a careful reader checks each line "
	return strings.Repeat(words, n/len(words)+1)[:n]
}

// benchPrompt4KiB is a 4 KiB OpenAI chat request: a system message, a short exchange
// and a long user message whose content is a list of parts.
func benchPrompt4KiB() []byte {
	body, _ := json.Marshal(map[string]any{
		"model": "gpt-4o-2024-08-06",
		"messages": []any{
			map[string]any{"role": "system", "content": "You are a helpful assistant. Answer briefly."},
			map[string]any{"role": "user", "content": "Hello, who are you?"},
			map[string]any{"role": "assistant", "content": "I am an assistant; ask me anything."},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"type": "text", "text": benchProse(3700)},
				map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/a.png"}},
			}},
		},
		"temperature": 0.2, "max_tokens": 512, "stream": true,
		"stream_options": map[string]any{"include_usage": true},
	})
	return body
}

// benchAnswer4KiB is a 4 KiB OpenAI chat completion.
func benchAnswer4KiB() []byte {
	body, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-AbCdEf0123456789", "object": "chat.completion", "created": 1730000000,
		"model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_0123456789",
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop", "logprobs": nil,
			"message": map[string]any{"role": "assistant", "content": benchProse(3800), "refusal": nil},
		}},
		"usage": map[string]any{"prompt_tokens": 900, "completion_tokens": 850, "total_tokens": 1750},
	})
	return body
}

// BenchmarkEditPrompt4KiB measures reading the texts of a 4 KiB OpenAI prompt (an
// edit that changes nothing) and editing one of them.
func BenchmarkEditPrompt4KiB(b *testing.B) {
	body := benchPrompt4KiB()
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, changed, ok := EditPrompt(body, FormatOpenAI, func(_, s string) string { return s }); changed || !ok {
				b.Fatal("changed or not read")
			}
		}
	})
	b.Run("edit", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			_, changed, _ := EditPrompt(body, FormatOpenAI, func(role, s string) string {
				if role == "system" {
					return "Be brief."
				}
				return s
			})
			if !changed {
				b.Fatal("not changed")
			}
		}
	})
}

// BenchmarkEditAnswer4KiB measures reading the text of a 4 KiB OpenAI answer and
// editing it.
func BenchmarkEditAnswer4KiB(b *testing.B) {
	body := benchAnswer4KiB()
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, changed, ok := EditAnswer(body, FormatOpenAI, func(_ int, _, s string) string { return s }); changed || !ok {
				b.Fatal("changed or not read")
			}
		}
	})
	b.Run("edit", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			_, changed, _ := EditAnswer(body, FormatOpenAI, func(_ int, _, s string) string { return s[:100] + " [cut]" })
			if !changed {
				b.Fatal("not changed")
			}
		}
	})
}
