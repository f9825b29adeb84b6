package proxy

import (
	"context"
	"net/http"

	"github.com/claimgate/claimgate/dataplane/llm"
)

// failoverKey is the context key of a request's *failoverCursor.
type failoverKey struct{}

// failoverCursor is where one request stands in a failover upstream: the priority and
// member of its last attempt. Attempts of one request are made one after the other, so
// it needs no lock; the access log reads it once the request is done.
type failoverCursor struct {
	made             int // attempts made
	priority, member int
	// atPriority is how many attempts in a row were made at priority.
	atPriority int
	// previousPriorities sends a retry to the next priority once updateFrequency
	// attempts were made at this one (the route's retry policy's previous_priorities).
	previousPriorities bool
	updateFrequency    int
	// shaping is how the route changes bodies (ai.defaults, ai.promptEnrichment),
	// applied in each member's format; bodyLimit bounds the body read.
	shaping   *llm.Shaping
	bodyLimit int64
	// client is the request's own context: an attempt that fails because it ended
	// counts against no member.
	client context.Context
}

// withFailover prepares r, on its way to the failover upstream up, for its attempts.
func (s *Server) withFailover(rw *responseWriter, r *http.Request, rt *route, up *upstream) *http.Request {
	cur := &failoverCursor{shaping: rt.aiShaping(up), bodyLimit: s.cfg.MaxBodyBytes, client: r.Context(), updateFrequency: 1}
	if rt.res != nil && rt.res.retry != nil {
		cur.previousPriorities, cur.updateFrequency = rt.res.retry.previousPriorities, rt.res.retry.updateFrequency
	}
	rw.failover = cur
	return r.WithContext(context.WithValue(r.Context(), failoverKey{}, cur))
}

// failoverTransport makes each attempt at a failover upstream through the member whose
// turn it is.
type failoverTransport struct{ f *failover }

// RoundTrip sends req, as the upstream's reverse proxy prepared it before any
// provider's changes, to the next member.
func (t failoverTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cur, _ := req.Context().Value(failoverKey{}).(*failoverCursor)
	if cur == nil {
		cur = &failoverCursor{bodyLimit: llm.MaxBodyBytes, client: req.Context(), updateFrequency: 1}
	}
	p, m := t.f.choose(cur)
	out, err := m.request(req, cur)
	if err != nil {
		return nil, err
	}
	resp, err := m.transport.RoundTrip(out)
	failed, result := attemptOutcome(resp, err, cur.client)
	if result != "" {
		t.f.record(p, m, failed)
		t.f.attempts.count(t.f.name, p.label, result)
	}
	return resp, err
}

// request is the attempt of req at m: the body sent anew, shaped in m's format with m's
// model, and the request pointed at m's endpoint with m's key, as m's provider wants it.
func (m *member) request(req *http.Request, cur *failoverCursor) (*http.Request, error) {
	out := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = body
		if cur.shaping != nil || m.adapter.Model() != "" {
			if err := llm.RewriteBody(out, cur.shaping, m.adapter.BodyFormat(out.URL.Path), m.adapter.Model(), cur.bodyLimit); err != nil {
				return nil, err
			}
		}
	}
	m.adapter.Rewrite(out)
	prepareMemberMetering(out, m.adapter)
	escapeOutgoingPath(out.URL)
	return out, nil
}

// attemptOutcome classifies an attempt for outlier ejection and the attempts metric:
// failed for a 5xx or 429 answer or no answer, with result answered, failed or error;
// result "" for an attempt that ended because its request did (the client left, the
// route's timeout), which counts for nothing.
func attemptOutcome(resp *http.Response, err error, client context.Context) (failed bool, result string) {
	switch {
	case err == nil && (resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests):
		return true, "failed"
	case err == nil:
		return false, "answered"
	case client.Err() != nil:
		return false, ""
	}
	return true, "error"
}
