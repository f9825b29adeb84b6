package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Failover metrics. Their labels are configured names only: the snapshot's upstream
// name, and the indices of a member's priority and of the member in it
// (ai.multi.priorities[priority].pool[member]).
//   - claimgate_proxy_failover_attempts_total{upstream,priority,result} counts
//     attempts: result answered (an answer that is not a failure), failed (5xx or
//     429) or error (no answer). Attempts that ended because their request did are not
//     counted.
//   - claimgate_proxy_failover_member_ejected{upstream,priority,member} is 1 while a
//     member is ejected, 0 otherwise, for every member of the snapshot being served.

// failoverCounters counts attempts at failover upstreams.
type failoverCounters struct{ vec *prometheus.CounterVec }

func newFailoverCounters() *failoverCounters {
	return &failoverCounters{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_proxy_failover_attempts_total",
		Help: "Attempts at failover upstreams, by upstream, priority (its index) and result (answered; failed: a 5xx or 429 answer; error: no answer).",
	}, []string{"upstream", "priority", "result"})}
}

// count counts one attempt; a nil receiver counts nothing.
func (c *failoverCounters) count(upstream, priority, result string) {
	if c != nil {
		c.vec.WithLabelValues(upstream, priority, result).Inc()
	}
}

// ejectedDesc describes the gauge of ejected members.
var ejectedDesc = prometheus.NewDesc("claimgate_proxy_failover_member_ejected",
	"1 while a member of a failover upstream is ejected (skipped after failing in a row), 0 otherwise; by upstream, priority and member (their indices).",
	[]string{"upstream", "priority", "member"}, nil)

// ejectedCollector reads the ejection of every member of the snapshot being served,
// when scraped.
type ejectedCollector struct{ s *Server }

func (c ejectedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- ejectedDesc }

func (c ejectedCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.s.table.Load()
	if t == nil {
		return
	}
	now := c.s.cfg.Now()
	for _, f := range t.failovers {
		f.members(func(p *priority, m *member) {
			v := 0.0
			if m.health.ejected(now) {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(ejectedDesc, prometheus.GaugeValue, v, f.name, p.label, m.label)
		})
	}
}
