package publish

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The snapshot-stream metrics, registered on controller-runtime's registry so the
// manager's metrics endpoint serves them. The gateway label is "<namespace>/<name>".
var (
	connectedProxies = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "claimgate_connected_proxies",
		Help: "Open snapshot streams, per Gateway.",
	}, []string{"gateway"})
	snapshotsSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_snapshots_sent_total",
		Help: "Snapshots sent to proxies, per Gateway.",
	}, []string{"gateway"})
	patchesSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_snapshot_patches_sent_total",
		Help: "Snapshots sent to proxies as a patch against the snapshot they served (counted in claimgate_snapshots_sent_total too), per Gateway.",
	}, []string{"gateway"})
	acks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_snapshot_acks_total",
		Help: "Snapshot acknowledgements received from proxies, per Gateway.",
	}, []string{"gateway"})
	nacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_snapshot_nacks_total",
		Help: "Snapshot rejections received from proxies, per Gateway.",
	}, []string{"gateway"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(connectedProxies, snapshotsSent, patchesSent, acks, nacks)
}
