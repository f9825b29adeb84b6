package proxy

import (
	"context"
	"errors"
	"net/http"

	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// The prompt-guard stage (RouteOption ai.promptGuard, dataplane/guard): on a guarded
// route to an LLM provider the prompt is read from the body in memory (after the
// route's shaping), checked by the request guards in order, and then rejected (the
// provider is not called), masked (only the texts of the body change) or passed on;
// the answer's texts are masked by the response guards before the client sees them,
// a stream stretch by stretch (guardstream.go). A guard that cannot decide fails
// closed: 503 for a prompt, 502 for a whole answer, an error event ending a stream.
// Routes without guards pay nothing: rt.guard is nil and nothing here runs.

// Decisions of the guard stage, for metrics and the access log.
const (
	decisionDeniedGuard = "denied_guard"
	decisionGuardError  = "guard_error"
)

// Guard actions, for the access log and the guard metric.
const (
	guardActionMask   = "mask"
	guardActionReject = "reject"
	guardActionError  = "error"
)

// guardFor is the route's prompt guard for requests to up: nil unless up is an LLM
// provider (or a failover pool of them) and the route guards prompts or answers.
func (rt *route) guardFor(up *upstream) *guard.Pipeline {
	if rt.guard == nil || !up.llm() {
		return nil
	}
	return rt.guard
}

// guardRequest runs the route's request guards on the prompt in r's body (in memory)
// and reports whether it answered the request: a rejection, a guard that could not
// decide (503), a body the guards cannot read (400). A masked prompt replaces the body.
func (s *Server) guardRequest(rw *responseWriter, r *http.Request, p *guard.Pipeline, up *upstream) bool {
	body, ok := llm.InMemory(r)
	if !p.GuardsRequests() || !ok || len(body) == 0 {
		return false
	}
	f := up.primary().BodyFormat(r.URL.Path)
	var msgs []guard.Message
	_, _, isObject := llm.EditPrompt(body, f, func(role, text string) string {
		msgs = append(msgs, guard.Message{Role: role, Content: text})
		return text
	})
	if !isObject {
		rw.decision, rw.reason = decisionBadRequest, "guard_unreadable"
		writeText(rw, http.StatusBadRequest, "the prompt guard cannot read the request body: it is not a JSON object")
		return true
	}
	if len(msgs) == 0 {
		return false
	}
	v, err := p.CheckRequest(r.Context(), msgs, r.Header, s.guardActed(rw, "request"))
	if err != nil {
		s.guardFailed(rw, "request", err)
		writeText(rw, http.StatusServiceUnavailable, "prompt guard "+guardName(err)+" could not check the request")
		return true
	}
	switch v.Action {
	case guard.Reject:
		rw.decision, rw.reason = decisionDeniedGuard, v.Guard
		writeText(rw, v.Status, v.Body)
		return true
	case guard.Mask:
		i := 0
		out, _, _ := llm.EditPrompt(body, f, func(_, text string) string {
			if i < len(v.Messages) {
				text = v.Messages[i].Content
			}
			i++
			return text
		})
		llm.SetBody(r, out)
	}
	return false
}

// guardActed records in the access log and the guard metric each guard that masked
// or rejected at stage.
func (s *Server) guardActed(rw *responseWriter, stage string) func(string, guard.Action) {
	return func(name string, a guard.Action) {
		action := guardActionMask
		if a == guard.Reject {
			action = guardActionReject
		}
		rw.noteGuard(name, action)
		s.metrics.countGuard(rw.route, name, stage, action)
	}
}

// guardFailed records a guard that could not decide at stage.
func (s *Server) guardFailed(rw *responseWriter, stage string, err error) {
	name := guardName(err)
	rw.decision, rw.reason = decisionGuardError, name
	rw.noteGuard(name, guardActionError)
	s.metrics.countGuard(rw.route, name, stage, guardActionError)
	s.log.Error(err, "prompt guard failed", "route", rw.route, "stage", stage)
}

// guardName is the name of the guard an error of the pipeline comes from.
func guardName(err error) string {
	var ge *guard.Error
	if errors.As(err, &ge) {
		return ge.Guard
	}
	return "unknown"
}

// noteGuard keeps, for the access log, the first guard that acted and what it did;
// an error wins over a mask.
func (w *responseWriter) noteGuard(name, action string) {
	if w.guard == "" || action != guardActionMask && w.guardAction == guardActionMask {
		w.guard, w.guardAction = name, action
	}
}

// guardKey is the context key of a guarded request's guardState.
type guardKey struct{}

// guardState is what the response stage of a guarded request needs.
type guardState struct {
	s       *Server
	rw      *responseWriter
	p       *guard.Pipeline
	adapter *llm.Adapter
	format  llm.Format
	header  http.Header
}

// withGuard marks r, to an LLM provider on a route whose answers are guarded, for the
// response stage, and asks the provider for an answer the guards can read unencoded
// (as metering does too).
func (s *Server) withGuard(rw *responseWriter, r *http.Request, p *guard.Pipeline, up *upstream) *http.Request {
	r.Header.Set("Accept-Encoding", "identity")
	a := up.primary()
	g := &guardState{s: s, rw: rw, p: p, adapter: a, format: a.BodyFormat(r.URL.Path), header: r.Header}
	return r.WithContext(context.WithValue(r.Context(), guardKey{}, g))
}

func guardOf(ctx context.Context) *guardState {
	g, _ := ctx.Value(guardKey{}).(*guardState)
	return g
}
