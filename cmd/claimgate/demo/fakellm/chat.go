package fakellm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// chatRequest is the part of a chat completion request the fake reads.
type chatRequest struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
}

func (b *Backend) chat(w http.ResponseWriter, r *http.Request, body []byte) {
	if b.cfg.Status != 0 {
		http.Error(w, `{"error":{"message":"fakellm configured failure"}}`, b.cfg.Status)
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":%q}}`, "invalid JSON body: "+err.Error())
		return
	}
	if req.Stream {
		b.stream(w, r, req.Model)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	model, _ := json.Marshal(req.Model)
	fmt.Fprintf(w, `{"id":"chatcmpl-fake","object":"chat.completion","created":0,"model":%s,`+
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Recursion is a function calling itself."},`+
		`"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17}}`, model)
}

// stream writes an SSE answer: StreamChunks chunks, StreamDelay apart, then [DONE].
func (b *Backend) stream(w http.ResponseWriter, r *http.Request, model string) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	quoted, _ := json.Marshal(model)
	for i := range b.cfg.StreamChunks {
		if i == b.cfg.StreamChunks-1 && b.cfg.StreamGate != nil {
			select {
			case <-b.cfg.StreamGate:
			case <-r.Context().Done():
				return
			}
		} else if i > 0 && b.cfg.StreamDelay > 0 {
			select {
			case <-time.After(b.cfg.StreamDelay):
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":0,"+
			"\"model\":%s,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word%d \"},\"finish_reason\":null}]}\n\n",
			quoted, i)
		if err := rc.Flush(); err != nil {
			return
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	_ = rc.Flush()
}

func writeModels(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"object":"list","data":[`+
		`{"id":"gpt-3.5-turbo","object":"model","created":0,"owned_by":"fakellm"},`+
		`{"id":"gpt-4o","object":"model","created":0,"owned_by":"fakellm"}]}`)
}
