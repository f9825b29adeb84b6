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

// Plugins build the guards that call out of the proxy (webhook.go, moderation.go).
// A nil member means this proxy cannot run that guard: a route that has one answers
// 500 (Pipeline.Unavailable) rather than go unguarded.
type Plugins struct {
	RequestWebhook  func(*snapshotv1.AiWebhookGuard) (RequestGuard, error)
	ResponseWebhook func(*snapshotv1.AiWebhookGuard) (ResponseGuard, error)
	Moderation      func(*snapshotv1.AiModerationGuard) (RequestGuard, error)
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
	// Unavailable, when set, names a configured guard this proxy cannot run: the
	// route answers 500 with it.
	Unavailable string
}

// Error is a guard that could not decide: the proxy fails closed.
type Error struct {
	Guard string
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("prompt guard %s: %v", e.Guard, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// Compile compiles a route's AiGuard; nil when it guards nothing.
func Compile(g *snapshotv1.AiGuard, p Plugins) (*Pipeline, error) {
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
	if err := out.compileRequest(g.GetRequest(), p); err != nil {
		return nil, err
	}
	if err := out.compileResponse(g.GetResponse(), p); err != nil {
		return nil, err
	}
	if len(out.Request)+len(out.Response) == 0 && out.Unavailable == "" {
		return nil, nil
	}
	return out, nil
}

func (p *Pipeline) compileRequest(g *snapshotv1.AiRequestGuard, pl Plugins) error {
	re, err := CompileRegex(g.GetRegex())
	if err != nil {
		return fmt.Errorf("ai guard request: %w", err)
	}
	if re != nil {
		p.Request = append(p.Request, NamedRequestGuard{NameRegex, re})
	}
	if w := g.GetWebhook(); w != nil {
		if pl.RequestWebhook == nil {
			p.unavailable("request.webhook")
		} else if rg, err := pl.RequestWebhook(w); err != nil {
			return fmt.Errorf("ai guard request webhook %s:%d: %w", w.GetHost(), w.GetPort(), err)
		} else {
			p.Request = append(p.Request, NamedRequestGuard{NameWebhook, rg})
		}
	}
	if m := g.GetModeration(); m != nil {
		if pl.Moderation == nil {
			p.unavailable("request.moderation")
		} else if rg, err := pl.Moderation(m); err != nil {
			return fmt.Errorf("ai guard moderation (%s): %w", m.GetModel(), err)
		} else {
			p.Request = append(p.Request, NamedRequestGuard{NameModeration, rg})
		}
	}
	return nil
}

func (p *Pipeline) compileResponse(g *snapshotv1.AiResponseGuard, pl Plugins) error {
	re, err := CompileRegex(g.GetRegex())
	if err != nil {
		return fmt.Errorf("ai guard response: %w", err)
	}
	if re != nil {
		p.Response = append(p.Response, NamedResponseGuard{NameRegex, re})
	}
	if w := g.GetWebhook(); w != nil {
		if pl.ResponseWebhook == nil {
			p.unavailable("response.webhook")
		} else if rg, err := pl.ResponseWebhook(w); err != nil {
			return fmt.Errorf("ai guard response webhook %s:%d: %w", w.GetHost(), w.GetPort(), err)
		} else {
			p.Response = append(p.Response, NamedResponseGuard{NameWebhook, rg})
		}
	}
	return nil
}

func (p *Pipeline) unavailable(member string) {
	if p.Unavailable == "" {
		p.Unavailable = "route uses options.ai.promptGuard." + member + ", which this proxy does not run"
	}
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
