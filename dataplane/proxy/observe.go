package proxy

import (
	"net/http"
	"time"
)

// observe records one finished request in the metrics and the access log. The log holds
// the path without its query (which may carry a token), never a header value. A request
// to a failover upstream also logs the priority and member (their indices in
// ai.multi.priorities[].pool[]) of its last attempt, the one answered, and its attempts.
func (s *Server) observe(rw *responseWriter, r *http.Request, t *table, path string, start time.Time) {
	dur := time.Since(start)
	status := rw.status
	if status == 0 {
		status = http.StatusOK
	}
	route := rw.route
	if route == "" {
		route = "none"
	}
	series := s.metrics.answered.get(answerLabels{route, statusLabel(status), rw.decision, rw.reason})
	series.requests.Inc()
	s.metrics.usage.observeFirstByte(rw)
	series.duration.Observe(dur.Seconds())
	if rw.upstreamLatency > 0 {
		series.upstream.Observe(rw.upstreamLatency.Seconds())
	}
	if !s.cfg.AccessLog.Enabled() {
		return
	}
	version := ""
	if t != nil {
		version = t.version
	}
	kv := []any{
		"method", r.Method, "host", r.Host, "path", path, "proto", r.Proto,
		"route", rw.route, "status", status, "decision", rw.decision, "reason", rw.reason,
		"sub", rw.sub, "bytes", rw.written,
		"request_model", rw.requestModel, "response_model", rw.usage.Model,
		"tokens_in", rw.usage.Input, "tokens_out", rw.usage.Output, "tokens_estimated", rw.usage.Estimated, "charge_error", rw.chargeErr,
		"guard", rw.guard, "guard_action", rw.guardAction,
		"upstream_latency_ms", float64(rw.upstreamLatency.Microseconds()) / 1000,
		"duration_ms", float64(dur.Microseconds()) / 1000, "version", version,
	}
	if f := rw.failover; f != nil && f.made > 0 {
		kv = append(kv, "failover_priority", f.priority, "failover_member", f.member, "attempts", f.made)
	}
	s.cfg.AccessLog.Info("request", kv...)
}
