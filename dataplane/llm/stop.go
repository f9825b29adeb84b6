package llm

import (
	"encoding/json"
	"strings"
)

// StopMessage is what the last event of a stream ended over its token budget says.
const StopMessage = "the token budget of this rate limit is spent: the gateway ended the answer"

// StopEvent is the server-sent event that ends a stream the gateway stopped, in the
// shape the provider's own clients read as an error for a request to path (the path
// sent upstream): Anthropic's messages API an "error" event of type rate_limit_error,
// Gemini's native API its error object with status RESOURCE_EXHAUSTED, and every
// OpenAI-compatible API (OpenAI, Azure OpenAI, Mistral, and the OpenAI-compatible
// paths of Anthropic and Gemini) a data event holding an "error" object of code
// rate_limit_exceeded.
func (a *Adapter) StopEvent(path string) []byte {
	msg, _ := json.Marshal(StopMessage)
	switch {
	case a.prov.name == "anthropic" && !strings.HasSuffix(path, "/chat/completions"):
		return []byte(`event: error` + "\n" + `data: {"type":"error","error":{"type":"rate_limit_error","message":` + string(msg) + "}}\n\n")
	case a.prov.name == "gemini" && !strings.Contains(path, "/openai/"):
		return []byte(`data: {"error":{"code":429,"message":` + string(msg) + `,"status":"RESOURCE_EXHAUSTED"}}` + "\n\n")
	default:
		return []byte(`data: {"error":{"message":` + string(msg) + `,"type":"tokens","param":null,"code":"rate_limit_exceeded"}}` + "\n\n")
	}
}
