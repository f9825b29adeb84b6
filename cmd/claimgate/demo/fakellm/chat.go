package fakellm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// chatRequest is the part of a chat completion request the fake reads.
type chatRequest struct {
	Model         string          `json:"model"`
	Stream        bool            `json:"stream"`
	StreamOptions *streamOptions  `json:"stream_options"`
	Messages      json.RawMessage `json:"messages"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

func (b *Backend) chat(w http.ResponseWriter, r *http.Request, body []byte) {
	if b.cfg.Status != 0 {
		http.Error(w, `{"error":{"message":"fakellm configured failure"}}`, b.cfg.Status)
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, "invalid JSON body: "+err.Error())
		return
	}
	if req.StreamOptions != nil && !req.Stream {
		writeError(w, "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
		return
	}
	prompt := promptTokens(req.Messages)
	if req.Stream {
		b.stream(w, r, req, prompt)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	model, _ := json.Marshal(req.Model)
	content := `"Recursion is a function calling itself."`
	if pieces := b.pieces(); pieces != nil {
		c, _ := json.Marshal(strings.Join(pieces, ""))
		content = string(c)
	}
	fmt.Fprintf(w, `{"id":"chatcmpl-fake","object":"chat.completion","created":0,"model":%s,`+
		`"choices":[{"index":0,"message":{"role":"assistant","content":%s},`+
		`"finish_reason":"stop"}],"usage":%s}`, model, content, usageJSON(prompt, AnswerTokens))
}

func writeError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"error":{"message":%q}}`, msg)
}

// stream writes an SSE answer: StreamChunks chunks, StreamDelay apart, then, when the
// request asks for it with stream_options.include_usage, a usage-only chunk (choices
// empty), then [DONE]. As OpenAI does, every chunk of a stream that asked for usage has
// "usage":null.
func (b *Backend) stream(w http.ResponseWriter, r *http.Request, req chatRequest, prompt int64) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	quoted, _ := json.Marshal(req.Model)
	withUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	usageNull := ""
	if withUsage {
		usageNull = `,"usage":null`
	}
	pieces := b.pieces()
	chunks := b.cfg.StreamChunks
	if pieces != nil {
		chunks = len(pieces)
	}
	for i := range chunks {
		if !b.pause(r, i) {
			return
		}
		text := fmt.Sprintf("word%d ", i)
		if pieces != nil {
			text = pieces[i]
		}
		content, _ := json.Marshal(text)
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":0,"+
			"\"model\":%s,\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]%s}\n\n",
			quoted, content, usageNull)
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if withUsage {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":0,"+
			"\"model\":%s,\"choices\":[],\"usage\":%s}\n\n", quoted, usageJSON(prompt, StreamTokens(chunks)))
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	_ = rc.Flush()
}

// pause waits before chunk i: for StreamGate before the last chunk, else StreamDelay. It
// reports false when the client left.
func (b *Backend) pause(r *http.Request, i int) bool {
	var wait <-chan time.Time
	var gate <-chan struct{}
	switch {
	case i == b.cfg.StreamChunks-1 && b.cfg.StreamGate != nil:
		gate = b.cfg.StreamGate
	case i > 0 && b.cfg.StreamDelay > 0:
		wait = time.After(b.cfg.StreamDelay)
	default:
		return true
	}
	select {
	case <-gate:
	case <-wait:
	case <-r.Context().Done():
		return false
	}
	return true
}

func writeModels(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"object":"list","data":[`+
		`{"id":"gpt-3.5-turbo","object":"model","created":0,"owned_by":"fakellm"},`+
		`{"id":"gpt-4o","object":"model","created":0,"owned_by":"fakellm"}]}`)
}
