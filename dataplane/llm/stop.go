package llm

import (
	"encoding/json"
	"strings"
)

// StopMessage is what the last event of a stream ended over its token budget says.
const StopMessage = "the token budget of this rate limit is spent: the gateway ended the answer"

// GuardErrorMessage is what the last event of a stream ended by a prompt guard that
// could not check it says.
const GuardErrorMessage = "the prompt guard could not check the answer: the gateway ended it"

// streamError is how the gateway says, in a last event, why it ended a stream: in the
// shape each provider's own clients read as an error.
type streamError struct {
	message string
	// anthropicType is the error type of Anthropic's messages API.
	anthropicType string
	// geminiCode and geminiStatus are the code and status of Gemini's native API.
	geminiCode   string
	geminiStatus string
	// openaiType and openaiCode are the type and code of an OpenAI-compatible error.
	openaiType, openaiCode string
}

var (
	stopError = streamError{
		message: StopMessage, anthropicType: "rate_limit_error", geminiCode: "429",
		geminiStatus: "RESOURCE_EXHAUSTED", openaiType: "tokens", openaiCode: "rate_limit_exceeded",
	}
	guardError = streamError{
		message: GuardErrorMessage, anthropicType: "api_error", geminiCode: "502",
		geminiStatus: "UNAVAILABLE", openaiType: "server_error", openaiCode: "guard_unavailable",
	}
)

// StopEvent is the server-sent event that ends a stream the gateway stopped, in the
// shape the provider's own clients read as an error for a request to path (the path
// sent upstream): Anthropic's messages API an "error" event of type rate_limit_error,
// Gemini's native API its error object with status RESOURCE_EXHAUSTED, and every
// OpenAI-compatible API (OpenAI, Azure OpenAI, Mistral, and the OpenAI-compatible
// paths of Anthropic and Gemini) a data event holding an "error" object of code
// rate_limit_exceeded.
func (a *Adapter) StopEvent(path string) []byte { return a.errorEvent(path, stopError) }

// GuardErrorEvent is the server-sent event that ends a stream whose prompt guard could
// not check the rest, in the shapes of StopEvent: an Anthropic error of type
// api_error, a Gemini error of status UNAVAILABLE, an OpenAI-compatible error of type
// server_error and code guard_unavailable.
func (a *Adapter) GuardErrorEvent(path string) []byte { return a.errorEvent(path, guardError) }

// errorEvent writes e in the shape of a's provider for a request to path.
func (a *Adapter) errorEvent(path string, e streamError) []byte {
	msg, _ := json.Marshal(e.message)
	switch {
	case a.prov.name == "anthropic" && !strings.HasSuffix(path, "/chat/completions"):
		return []byte(`event: error` + "\n" + `data: {"type":"error","error":{"type":"` + e.anthropicType + `","message":` + string(msg) + "}}\n\n")
	case a.prov.name == "gemini" && !strings.Contains(path, "/openai/"):
		return []byte(`data: {"error":{"code":` + e.geminiCode + `,"message":` + string(msg) + `,"status":"` + e.geminiStatus + `"}}` + "\n\n")
	default:
		return []byte(`data: {"error":{"message":` + string(msg) + `,"type":"` + e.openaiType + `","param":null,"code":"` + e.openaiCode + `"}}` + "\n\n")
	}
}
