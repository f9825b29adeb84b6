package guard

import (
	"context"
	"fmt"
	"net/http"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// The names of the guards that call out of the proxy, for verdicts, the access log
// and metrics.
const (
	NameWebhook    = "webhook"
	NameModeration = "moderation"
)

// Options are what guards that call out of the proxy need beyond their snapshot
// messages.
type Options struct {
	// ModerationURL is the moderation API's base URL (default
	// DefaultModerationBaseURL): Gloo's moderation guard names only a model and a key.
	ModerationURL string
	// Transport sends the webhook and moderation calls; nil takes the pool shared by
	// every guard of the process.
	Transport http.RoundTripper
}

// NamedRequestGuard is a request guard and its name.
type NamedRequestGuard struct {
	Name  string
	Guard RequestGuard
}

// NamedResponseGuard is a response guard and its name.
type NamedResponseGuard struct {
	Name  string
	Guard ResponseGuard
}

// Pipeline is a route's prompt guards, compiled once per snapshot: the request guards
// in order (regex, webhook, moderation) and the response guards in order (regex,
// webhook). It is immutable and safe for concurrent use.
type Pipeline struct {
	Request  []NamedRequestGuard
	Response []NamedResponseGuard
	// RejectStatus and RejectMessage answer a rejected prompt whose guard gave no
	// status of its own (customResponse, with Gloo's defaults).
	RejectStatus  int
	RejectMessage string
}

// Error is a guard that could not decide: the proxy fails closed.
type Error struct {
	Guard string
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("prompt guard %s: %v", e.Guard, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// Compile compiles a route's AiGuard; nil when it guards nothing.
func Compile(g *snapshotv1.AiGuard, o Options) (*Pipeline, error) {
	if g == nil || g.GetRequest() == nil && g.GetResponse() == nil {
		return nil, nil
	}
	out := &Pipeline{RejectStatus: int(g.GetRequest().GetRejectStatus()), RejectMessage: g.GetRequest().GetRejectMessage()}
	if out.RejectStatus == 0 {
		out.RejectStatus = http.StatusForbidden
	}
	if out.RejectStatus < 200 || out.RejectStatus > 599 {
		return nil, fmt.Errorf("ai guard: reject status %d is not in 200-599", out.RejectStatus)
	}
	if out.RejectMessage == "" {
		out.RejectMessage = "The request was rejected due to inappropriate content"
	}
	if err := out.compileRequest(g.GetRequest(), o); err != nil {
		return nil, err
	}
	if err := out.compileResponse(g.GetResponse(), o); err != nil {
		return nil, err
	}
	if len(out.Request)+len(out.Response) == 0 {
		return nil, nil
	}
	return out, nil
}

func (p *Pipeline) compileRequest(g *snapshotv1.AiRequestGuard, o Options) error {
	re, err := CompileRegex(g.GetRegex())
	if err != nil {
		return fmt.Errorf("ai guard request: %w", err)
	}
	if re != nil {
		p.Request = append(p.Request, NamedRequestGuard{NameRegex, re})
	}
	if w := g.GetWebhook(); w != nil {
		wh, err := compileWebhook(w, o)
		if err != nil {
			return fmt.Errorf("ai guard request: %w", err)
		}
		p.Request = append(p.Request, NamedRequestGuard{NameWebhook, wh})
	}
	if m := g.GetModeration(); m != nil {
		mod, err := NewModeration(ModerationConfig{
			Model: m.GetModel(), APIKey: m.GetAuthToken(), Passthrough: m.GetPassthrough(),
			BaseURL: o.ModerationURL, Transport: o.Transport,
		})
		if err != nil {
			return fmt.Errorf("ai guard request: %w", err)
		}
		p.Request = append(p.Request, NamedRequestGuard{NameModeration, mod})
	}
	return nil
}

func (p *Pipeline) compileResponse(g *snapshotv1.AiResponseGuard, o Options) error {
	re, err := CompileRegex(g.GetRegex())
	if err != nil {
		return fmt.Errorf("ai guard response: %w", err)
	}
	if re != nil {
		p.Response = append(p.Response, NamedResponseGuard{NameRegex, re})
	}
	if w := g.GetWebhook(); w != nil {
		wh, err := compileWebhook(w, o)
		if err != nil {
			return fmt.Errorf("ai guard response: %w", err)
		}
		p.Response = append(p.Response, NamedResponseGuard{NameWebhook, wh})
	}
	return nil
}

// compileWebhook builds the webhook guard a snapshot names.
func compileWebhook(w *snapshotv1.AiWebhookGuard, o Options) (*Webhook, error) {
	fh := make([]HeaderMatch, 0, len(w.GetForwardHeaders()))
	for _, h := range w.GetForwardHeaders() {
		fh = append(fh, HeaderMatch{Key: h.GetKey(), Type: MatchType(h.GetMatchType())})
	}
	return NewWebhook(WebhookConfig{Host: w.GetHost(), Port: w.GetPort(), ForwardHeaders: fh, Transport: o.Transport})
}

// CheckRequest runs the request guards in order on a prompt's messages: each sees
// what the ones before it masked; the first rejection ends the checks. It returns the
// final verdict (Mask with the masked messages when any guard masked, Pass otherwise;
// a rejection with the route's customResponse where the guard gave no status) and
// calls acted for each guard that masked or rejected. A guard's error is an *Error.
func (p *Pipeline) CheckRequest(ctx context.Context, msgs []Message, h http.Header, acted func(guard string, a Action)) (Verdict, error) {
	out := Verdict{Action: Pass}
	for _, g := range p.Request {
		v, err := g.Guard.CheckRequest(ctx, msgs, h)
		if err != nil {
			return Verdict{}, &Error{Guard: g.Name, Err: err}
		}
		switch v.Action {
		case Reject:
			v.Guard = g.Name
			if v.Status == 0 {
				v.Status, v.Body = p.RejectStatus, p.RejectMessage
			}
			acted(g.Name, Reject)
			return v, nil
		case Mask:
			if len(v.Messages) != len(msgs) {
				return Verdict{}, &Error{Guard: g.Name, Err: fmt.Errorf("masked %d messages of %d", len(v.Messages), len(msgs))}
			}
			msgs = v.Messages
			if out.Action == Pass {
				out.Guard = g.Name
			}
			out.Action, out.Messages = Mask, msgs
			acted(g.Name, Mask)
		}
	}
	return out, nil
}

// MaskResponse runs the response guards in order on an answer's choices, each seeing
// what the ones before it masked, and calls acted for each guard that masked. A
// guard's error is an *Error.
func (p *Pipeline) MaskResponse(ctx context.Context, choices []Choice, h http.Header, acted func(guard string, a Action)) ([]Choice, bool, error) {
	maskedAny := false
	for _, g := range p.Response {
		out, changed, err := g.Guard.MaskResponse(ctx, choices, h)
		if err != nil {
			return nil, false, &Error{Guard: g.Name, Err: err}
		}
		if !changed {
			continue
		}
		if len(out) != len(choices) {
			return nil, false, &Error{Guard: g.Name, Err: fmt.Errorf("masked %d choices of %d", len(out), len(choices))}
		}
		choices, maskedAny = out, true
		acted(g.Name, Mask)
	}
	return choices, maskedAny, nil
}

// GuardsRequests reports whether the pipeline checks prompts.
func (p *Pipeline) GuardsRequests() bool { return p != nil && len(p.Request) > 0 }

// GuardsResponses reports whether the pipeline masks answers.
func (p *Pipeline) GuardsResponses() bool { return p != nil && len(p.Response) > 0 }
