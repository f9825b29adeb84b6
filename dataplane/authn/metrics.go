package authn

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are authn's Prometheus counters. Their labels never hold a token or a key.
type metrics struct {
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	jwksFetches *prometheus.CounterVec // label result: success, failure
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_authn_token_cache_hits_total",
			Help: "Verified-token cache lookups that skipped signature verification.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_authn_token_cache_misses_total",
			Help: "Verified-token cache lookups that found no usable entry.",
		}),
		jwksFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claimgate_authn_jwks_fetches_total",
			Help: "Remote JWKS fetches by result.",
		}, []string{"result"}),
	}
	if reg == nil {
		return m
	}
	m.cacheHits = register(reg, m.cacheHits)
	m.cacheMisses = register(reg, m.cacheMisses)
	m.jwksFetches = register(reg, m.jwksFetches)
	return m
}

// register registers c, or returns the collector already registered under its name (a
// second Authenticator on the same registry shares the counters).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
