package ratelimit

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// redisMetrics are a RedisStore's collectors, registered only when the configuration
// names a Registerer.
type redisMetrics struct {
	roundTrips prometheus.Counter
	errors     prometheus.Counter
	latency    prometheus.Histogram
	local      prometheus.Counter
}

func newRedisMetrics(reg prometheus.Registerer) (*redisMetrics, error) {
	m := &redisMetrics{
		roundTrips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_ratelimit_redis_round_trips_total",
			Help: "Applies sent to Redis: one pipeline each (in a cluster, one per node involved, in parallel).",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_ratelimit_redis_errors_total",
			Help: "Applies that failed: Redis unreachable, too slow or answering an error.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "claimgate_proxy_ratelimit_redis_round_trip_seconds",
			Help:    "Time of an Apply's round trip to Redis, failed ones included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		local: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_ratelimit_redis_local_over_total",
			Help: "Hits answered by the proxy's memory of counters over their limit, without Redis.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.roundTrips, m.errors, m.latency, m.local} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering redis rate-limit store metrics: %w", err)
		}
	}
	return m, nil
}
