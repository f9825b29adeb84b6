package controllers

import (
	"context"
	"errors"
	"sort"

	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
)

// publish hands every compiled snapshot to the store (which wakes the Gateway's streams
// when the version changed) and stops publishing for Gateways that are gone or no longer
// ours.
func (r *Reconciler) publish(out compile.Result) {
	for gw, snap := range out.Snapshots {
		if encoded := out.Encoded[gw]; r.cfg.Store.SetEncoded(gw, snap, encoded) {
			size := len(encoded)
			if encoded == nil {
				size = proto.Size(snap)
			}
			snapshotBytes.WithLabelValues(gw.String()).Set(float64(size))
			r.cfg.Logger.Info("published snapshot", "namespace", gw.Namespace, "name", gw.Name,
				"version", publish.ShortVersion(snap.GetVersion()), "bytes", size)
		}
	}
	for _, gw := range r.cfg.Store.Gateways() {
		if _, ok := out.Snapshots[gw]; !ok {
			r.cfg.Store.Delete(gw)
			snapshotBytes.DeleteLabelValues(gw.String())
			r.cfg.Logger.Info("stopped publishing", "namespace", gw.Namespace, "name", gw.Name)
		}
	}
}

// provisionAll provisions the proxies of every Gateway with a snapshot and returns their
// Services, by Gateway. A failure for one Gateway does not stop the others.
func (r *Reconciler) provisionAll(ctx context.Context, in compile.Inputs, out compile.Result) (map[types.NamespacedName]*corev1.Service, error) {
	byKey := make(map[types.NamespacedName]*gwv1.Gateway, len(in.Gateways))
	for i := range in.Gateways {
		gw := &in.Gateways[i]
		byKey[types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}] = gw
	}
	keys := make([]types.NamespacedName, 0, len(out.Snapshots))
	for k := range out.Snapshots {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	services := map[types.NamespacedName]*corev1.Service{}
	var errs []error
	for _, k := range keys {
		gw, ok := byKey[k]
		if !ok || !gw.DeletionTimestamp.IsZero() {
			continue
		}
		svc, err := r.provision(ctx, gw, out.Snapshots[k])
		if err != nil {
			errs = append(errs, err)
		}
		if svc != nil && svc.ResourceVersion != "" {
			services[k] = svc
		}
	}
	return services, errors.Join(errs...)
}
