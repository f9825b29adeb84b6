package sync

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// streamMetrics tell whether the proxy is connected to its controller.
type streamMetrics struct {
	connected prometheus.Gauge
	attempts  prometheus.Counter
	nacks     prometheus.Counter
	// wholeAsked counts patches answered with a Nack asking for the snapshot whole.
	wholeAsked prometheus.Counter
}

func newStreamMetrics(reg prometheus.Registerer) (*streamMetrics, error) {
	m := &streamMetrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "claimgate_proxy_controller_connected",
			Help: "1 while the snapshot stream to the controller is open.",
		}),
		attempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_controller_stream_attempts_total",
			Help: "Snapshot streams opened or attempted.",
		}),
		nacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_snapshot_nacks_total",
			Help: "Snapshots from the controller answered with a Nack.",
		}),
		wholeAsked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "claimgate_proxy_snapshot_patches_refused_total",
			Help: "Snapshot patches the proxy could not use (against a snapshot it does not serve, or not making their version), answered by asking for the snapshot whole.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.connected, m.attempts, m.nacks, m.wholeAsked} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering sync metrics: %w", err)
		}
	}
	return m, nil
}
