package proxy

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// metrics are the proxy's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	upstream *prometheus.HistogramVec
	// answered are the series of requests, duration and upstream each answer adds to.
	answered *seriesCache[answerLabels, answerSeries]
	info     *prometheus.GaugeVec
	rejected prometheus.Counter
	// routes counts the routes of applied snapshots, compiled or reused.
	routes *prometheus.CounterVec
	// rateLimits counts rate-limit checks by policy (ratelimit.go).
	rateLimits *prometheus.CounterVec
	// usage are the token metrics (usage.go).
	usage *usageMetrics
	// failover counts attempts at failover upstreams (failover_metrics.go).
	failover *failoverCounters
	// guards counts what prompt guards did (guard.go).
	guards *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, s *Server) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claimgate_proxy_requests_total",
			Help: "Requests answered, by route, status, decision and denial reason.",
		}, []string{"route", "status", "decision", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "claimgate_proxy_request_duration_seconds",
			Help:    "Time from the request's arrival to the end of its answer, by route and decision.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"route", "decision"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "claimgate_proxy_upstream_latency_seconds",
			Help:    "Time from forwarding a request to the upstream's response headers, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"route"}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "claimgate_proxy_snapshot_info",
			Help: "1 for the snapshot version being served.",
		}, []string{"version", "gateway"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_snapshot_rejections_total",
			Help: "Snapshots that failed validation or compilation and were not served.",
		}),
		routes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claimgate_proxy_snapshot_routes_total",
			Help: "Routes of the snapshots applied, by how they were made ready: compiled (new or changed, or every route when the upstreams or JWT providers changed) or reused (the same encoding as in the snapshot served before).",
		}, []string{"how"}),
		rateLimits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claimgate_proxy_rate_limit_decisions_total",
			Help: "Rate-limit decisions, by policy, configured descriptor (its keys and configured values; empty when no limit was reached), stage (early, regular; reservation of max_tokens, stream) and result (allowed, over, store_error; stopped).",
		}, []string{"policy", "descriptor", "stage", "result"}),
		usage:    newUsageMetrics(s.cfg.UsageClaim),
		failover: newFailoverCounters(),
		guards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claimgate_proxy_guard_decisions_total",
			Help: "What prompt guards did, by route, guard (regex, webhook, moderation; unreadable for an answer none could read), stage (request, response) and action (mask, reject, error).",
		}, []string{"route", "guard", "stage", "action"}),
	}
	m.answered = newSeriesCache(m.resolveAnswered)
	if reg == nil {
		return m, nil
	}
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "claimgate_proxy_snapshot_age_seconds",
		Help: "Seconds since the snapshot being served was applied; absent meaning none is (-1).",
	}, func() float64 {
		t := s.table.Load()
		if t == nil {
			return -1
		}
		return s.cfg.Now().Sub(t.appliedAt).Seconds()
	})
	for _, c := range append([]prometheus.Collector{m.requests, m.duration, m.upstream, m.info, m.rejected, m.routes, m.rateLimits, m.guards, age, m.failover.vec, ejectedCollector{s}}, m.usage.collectors()...) {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering proxy metrics: %w", err)
		}
	}
	return m, nil
}

// applied moves the info gauge from old's version to t's.
func (m *metrics) applied(old, t *table) {
	if old != nil {
		m.info.DeleteLabelValues(old.version, old.gateway)
	}
	m.info.WithLabelValues(t.version, t.gateway).Set(1)
	m.routes.WithLabelValues("compiled").Add(float64(t.compiled))
	m.routes.WithLabelValues("reused").Add(float64(t.reused))
}

// statusText holds the label of every status code, so labelling allocates nothing.
var statusText = func() [600]string {
	var out [600]string
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}()

func statusLabel(code int) string {
	if code >= 0 && code < len(statusText) {
		return statusText[code]
	}
	return strconv.Itoa(code)
}

// countReservation counts a reservation of max_tokens (stage "reservation"): result
// allowed, over or store_error; policy is the refusing one, "" otherwise.
func (m *metrics) countReservation(policy, result string) {
	m.rateLimits.WithLabelValues(policy, "", "reservation", result).Inc()
}

// countGuard counts what a prompt guard did.
func (m *metrics) countGuard(route, guard, stage, action string) {
	m.guards.WithLabelValues(route, guard, stage, action).Inc()
}

// countStreamStop counts a stream ended by policy (stage "stream", result stopped).
func (m *metrics) countStreamStop(policy string) {
	m.rateLimits.WithLabelValues(policy, "", "stream", "stopped").Inc()
}

// countRateLimits counts one stage's outcomes: each limit a policy reached, by its
// configured descriptor, allowed or over; a policy that reached none, or whose
// counters could not be counted, once with descriptor "".
func (m *metrics) countRateLimits(early bool, results []ratelimit.PolicyResult, statuses []ratelimit.Status) {
	stage := "regular"
	if early {
		stage = "early"
	}
	for _, res := range results {
		reached := false
		for i := range statuses {
			if st := &statuses[i]; st.Policy == res.Policy {
				reached = true
				m.rateLimits.WithLabelValues(res.Policy, st.Descriptor, stage, overLabel(st.Over)).Inc()
			}
		}
		switch {
		case res.Failed:
			m.rateLimits.WithLabelValues(res.Policy, "", stage, "store_error").Inc()
		case !reached:
			m.rateLimits.WithLabelValues(res.Policy, "", stage, "allowed").Inc()
		}
	}
}

func overLabel(over bool) string {
	if over {
		return "over"
	}
	return "allowed"
}

// answerLabels are the labels of an answer's request, duration and upstream series.
type answerLabels struct{ route, status, decision, reason string }

// answerSeries are the series of one answerLabels.
type answerSeries struct {
	requests           prometheus.Counter
	duration, upstream prometheus.Observer
}

func (m *metrics) resolveAnswered(l answerLabels) *answerSeries {
	return &answerSeries{
		requests: m.requests.WithLabelValues(l.route, l.status, l.decision, l.reason),
		duration: m.duration.WithLabelValues(l.route, l.decision),
		upstream: m.upstream.WithLabelValues(l.route),
	}
}
