package proxy

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// Every answer of an AI provider is metered (dataplane/llm): its tokens feed the
// OpenTelemetry GenAI metric gen_ai_client_token_usage (histogram, by
// gen_ai_token_type input|output, gen_ai_system, gen_ai_request_model,
// gen_ai_response_model, route and the configured claim), a token counter with the same
// labels for dashboards, and the time to the answer's first byte. Token budgets charge
// the same usage (metering.go).

// tokenBuckets are OpenTelemetry's advice for gen_ai.client.token.usage.
var tokenBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}

// maxClaimValues bounds the distinct values of the claim label; later values are
// counted as "other".
const maxClaimValues = 100

// maxResponseModels bounds the distinct values of the gen_ai_response_model label;
// later values are counted as "other".
const maxResponseModels = 100

// maxModelLabel bounds a response model name kept as a label.
const maxModelLabel = 128

// usageMetrics are the token metrics.
type usageMetrics struct {
	usage     *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	firstByte *prometheus.HistogramVec
	claim     string
	mu        sync.Mutex
	seen      map[string]struct{} // claim values
	models    map[string]struct{} // response models
	// series are the usage and token series of each set of labels seen.
	series *seriesCache[usageLabels, usageSeries]
}

// usageLabels are the labels of an answer's usage series but the token type.
type usageLabels struct{ system, asked, answered, route, claim string }

// usageSeries are the series of one usageLabels: input, then output.
type usageSeries struct {
	usage  [2]prometheus.Observer
	tokens [2]prometheus.Counter
}

func newUsageMetrics(claim string) *usageMetrics {
	labels := []string{"gen_ai_system", "gen_ai_request_model", "gen_ai_response_model", "gen_ai_token_type", "route", "claim"}
	u := &usageMetrics{
		usage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gen_ai_client_token_usage", Buckets: tokenBuckets,
			Help: "Tokens an AI provider reported (or the proxy estimated) per answer, by token type (input, output), provider, requested model, model that answered, route and the configured claim.",
		}, labels),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claimgate_proxy_llm_tokens_total",
			Help: "Tokens of AI answers, as gen_ai_client_token_usage sums them, for rate queries.",
		}, labels),
		firstByte: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "claimgate_proxy_llm_time_to_first_byte_seconds",
			Help:    "Time from forwarding an AI request to the first byte of its answer reaching the client (the first token of a stream), by provider and route.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"gen_ai_system", "route"}),
		claim:  claim,
		seen:   map[string]struct{}{},
		models: map[string]struct{}{},
	}
	u.series = newSeriesCache(u.resolveSeries)
	return u
}

func (u *usageMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{u.usage, u.tokens, u.firstByte}
}

// record adds one answer's usage.
func (u *usageMetrics) record(m *meterState, use llm.Usage) {
	l := usageLabels{
		system: m.adapter.Provider(), asked: u.modelLabel(m.model), answered: u.modelLabel(use.Model),
		route: m.rw.route, claim: u.claimValue(m.rw.tokens),
	}
	s := u.series.get(l)
	for i, n := range [2]int64{use.Input, use.Output} {
		s.usage[i].Observe(float64(n))
		s.tokens[i].Add(float64(n))
	}
}

// resolveSeries looks the series of l up in the vectors.
func (u *usageMetrics) resolveSeries(l usageLabels) *usageSeries {
	s := &usageSeries{}
	for i, typ := range [2]string{"input", "output"} {
		values := []string{l.system, l.asked, l.answered, typ, l.route, l.claim}
		s.usage[i], s.tokens[i] = u.usage.WithLabelValues(values...), u.tokens.WithLabelValues(values...)
	}
	return s
}

// observeFirstByte records, once an AI answer is done, when its first byte reached
// the client.
func (u *usageMetrics) observeFirstByte(rw *responseWriter) {
	if rw.llmSystem != "" && !rw.firstByte.IsZero() && !rw.upstreamStart.IsZero() {
		u.firstByte.WithLabelValues(rw.llmSystem, rw.route).Observe(rw.firstByte.Sub(rw.upstreamStart).Seconds())
	}
}

// claimValue is the configured claim of the first verified token that has it as a
// string, "" without one, "other" past maxClaimValues distinct values.
func (u *usageMetrics) claimValue(tokens []authz.Token) string {
	if u.claim == "" {
		return ""
	}
	for _, t := range tokens {
		v, ok := t.Claims[u.claim].(string)
		if !ok {
			continue
		}
		return u.bounded(u.seen, maxClaimValues, v)
	}
	return ""
}

// modelLabel is the gen_ai_request_model or gen_ai_response_model label of a model
// name: "" for none. A request's model comes from the client and an answer's from the
// upstream, and either may be any string; so that the labels' values stay few, a name
// that does not have a model name's shape (at most 128 bytes of letters, digits and
// . _ : / @ -) is "other", and so is any name past maxResponseModels distinct ones
// (requested and answered together).
func (u *usageMetrics) modelLabel(name string) string {
	if name == "" {
		return ""
	}
	if !modelShaped(name) {
		return "other"
	}
	return u.bounded(u.models, maxResponseModels, name)
}

// modelShaped reports whether name looks like a model name (gpt-4o-2024-08-06,
// claude-sonnet-4-20250514, gemini-2.0-flash, models/x, meta-llama/Llama-3.1-8B,
// mistral.mistral-large-2407-v1:0, vertex's claude-sonnet-4@20250514).
func modelShaped(name string) bool {
	if len(name) > maxModelLabel {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '/', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// bounded is v, recorded in seen, or "other" once seen holds limit other values.
func (u *usageMetrics) bounded(seen map[string]struct{}, limit int, v string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, known := seen[v]; !known {
		if len(seen) >= limit {
			return "other"
		}
		seen[v] = struct{}{}
	}
	return v
}

// markFirstByte records when the first byte of the answer is written.
func (w *responseWriter) markFirstByte() {
	if w.firstByte.IsZero() {
		w.firstByte = time.Now()
	}
}
