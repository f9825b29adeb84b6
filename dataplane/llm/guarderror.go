package llm

import (
	"encoding/json"
	"strings"
)

// GuardErrorMessage is what the last event of a stream ended by a prompt guard that
// could not check it says.
const GuardErrorMessage = "the prompt guard could not check the answer: the gateway ended it"

// GuardErrorEvent is the server-sent event that ends a stream whose prompt guard could
// not check the rest, in the shape the provider's own clients read as an error for a
// request to path (the path sent upstream), as StopEvent: Anthropic's messages API an
// "error" event of type api_error, Gemini's native API its error object with status
// UNAVAILABLE, every OpenAI-compatible API a data event holding an "error" object of
// type server_error.
func (a *Adapter) GuardErrorEvent(path string) []byte {
	msg, _ := json.Marshal(GuardErrorMessage)
	switch {
	case a.prov.name == "anthropic" && !strings.HasSuffix(path, "/chat/completions"):
		return []byte(`event: error` + "\n" + `data: {"type":"error","error":{"type":"api_error","message":` + string(msg) + "}}\n\n")
	case a.prov.name == "gemini" && !strings.Contains(path, "/openai/"):
		return []byte(`data: {"error":{"code":502,"message":` + string(msg) + `,"status":"UNAVAILABLE"}}` + "\n\n")
	default:
		return []byte(`data: {"error":{"message":` + string(msg) + `,"type":"server_error","param":null,"code":"guard_unavailable"}}` + "\n\n")
	}
}
