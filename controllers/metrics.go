package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The reconciler's metrics, on controller-runtime's registry (served by the manager's
// metrics endpoint). The gateway label is "<namespace>/<name>".
var (
	reconcileTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_reconcile_total",
		Help: "Whole-world reconciliations, by result (success or error).",
	}, []string{"result"})
	reconcileDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "claimgate_reconcile_duration_seconds",
		Help:    "Duration of a reconciliation: gather, compile, publish and provision (statuses are written in the background).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	})
	compileDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "claimgate_compile_duration_seconds",
		Help:    "Duration of compile.Compile.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
	})
	compileTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_compile_total",
		Help: "Compilations, by mode: incremental (only the changed routes and RouteOptions) or full.",
	}, []string{"mode"})
	statusWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_status_writes_total",
		Help: "Status writes, by kind and result (written, conflict, error).",
	}, []string{"kind", "result"})
	snapshotBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "claimgate_snapshot_size_bytes",
		Help: "Encoded size of the current snapshot, per Gateway.",
	}, []string{"gateway"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(reconcileTotal, reconcileDuration, compileDuration, compileTotal, statusWrites, snapshotBytes)
}
