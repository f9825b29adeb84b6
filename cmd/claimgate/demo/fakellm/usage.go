package fakellm

import (
	"encoding/json"
	"fmt"
)

// The fake's token counts, so that tests can tell what a request should be charged. They
// follow OpenAI's rule of thumb (about 4 bytes of text per token, a few tokens of framing
// per message) without a tokenizer, and differ on purpose from a gateway's byte-based
// estimate of the whole request body.
const (
	// AnswerTokens is the completion tokens of the non-streamed answer.
	AnswerTokens = 7
	// tokensPerChunk is the completion tokens of one streamed "wordN " chunk.
	tokensPerChunk = 2
	// tokensPerMessage and tokensPerPrompt are the framing around messages.
	tokensPerMessage = 4
	tokensPerPrompt  = 3
)

// chatMessage is a message of a chat request: content is a string or a list of parts.
type chatMessage struct {
	Content json.RawMessage `json:"content"`
}

// StreamTokens is the completion tokens of a streamed answer of chunks chunks.
func StreamTokens(chunks int) int64 { return int64(chunks) * tokensPerChunk }

// PromptTokens is the prompt tokens the fake reports for a chat request body (0 when it
// is not one).
func PromptTokens(body []byte) int64 {
	var req chatRequest
	if json.Unmarshal(body, &req) != nil {
		return 0
	}
	return promptTokens(req.Messages)
}

// promptTokens counts the messages of a request; messages that are not a list count as
// none.
func promptTokens(raw json.RawMessage) int64 {
	var msgs []chatMessage
	_ = json.Unmarshal(raw, &msgs)
	n := int64(tokensPerPrompt)
	for _, m := range msgs {
		n += tokensPerMessage + (contentBytes(m.Content)+3)/4
	}
	return n
}

// contentBytes is the length of a message's text: the string, or the text of its parts.
func contentBytes(raw json.RawMessage) int64 {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return int64(len(s))
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return 0
	}
	var n int64
	for _, p := range parts {
		n += int64(len(p.Text))
	}
	return n
}

func usageJSON(prompt, completion int64) string {
	return fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`,
		prompt, completion, prompt+completion)
}
