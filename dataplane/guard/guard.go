// Package guard is the prompt-guard stage of the proxy's request path for AI routes
// (RouteOption options.ai.promptGuard): after authorization, rate limits and the
// route's request shaping, a prompt is checked before it reaches the provider, and the
// provider's answer before it reaches the client. It sees prompts and answers in one
// normalized form, whatever the provider's native format: a list of messages going
// out, a list of choices coming back, the form of Gloo's guardrail webhook contract.
//
// Guards are compiled once per snapshot; a check runs per request and must not keep
// what it sees (prompts and answers are the caller's data). A guard that cannot be
// evaluated returns an error and the proxy fails closed.
package guard

import (
	"context"
	"net/http"
)

// Message is one message of a prompt: who sent it (system, user, assistant, …) and
// its text.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Choice is one alternative of an answer, as the webhook contract's ResponseChoice: its
// message's role (usually assistant) and text.
type Choice struct {
	Role    string
	Content string
}

// Action is what a request guard decided.
type Action int

// The actions, as the webhook contract names them.
const (
	// Pass lets the prompt go on unchanged.
	Pass Action = iota
	// Mask replaces the prompt's messages with Verdict.Messages.
	Mask
	// Reject answers the client with Verdict.Status and Verdict.Body; the provider is
	// not called.
	Reject
)

// Verdict is a request guard's decision on a prompt.
type Verdict struct {
	Action Action
	// Messages are the prompt's messages after masking (Mask): as many as were checked,
	// in order.
	Messages []Message
	// Status and Body are the answer of a rejected prompt (Reject).
	Status int
	Body   string
	// Guard names the guard that decided, for the access log and metrics: a fixed,
	// configured name (such as "regex", "webhook", "moderation"), never request data.
	Guard string
}

// RequestGuard checks a prompt's messages before the prompt is sent to the provider.
// h is the client's request header (a webhook forwards the headers it is configured
// to). An error means the guard could not decide: the proxy refuses the request.
type RequestGuard interface {
	CheckRequest(ctx context.Context, msgs []Message, h http.Header) (Verdict, error)
}

// ResponseGuard masks an answer's text before the client sees it: it returns the
// choices to send, as many as it was given and in order, and whether it changed any.
// On a streamed answer it is called with each stretch of text held up to a boundary.
// An error means the guard could not decide: the proxy does not pass the text on.
type ResponseGuard interface {
	MaskResponse(ctx context.Context, choices []Choice, h http.Header) (out []Choice, changed bool, err error)
}
