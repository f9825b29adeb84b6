package controllers

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
)

// CacheOptions keeps the cache small: of Deployments and ServiceAccounts only the
// proxies' (labelled managed-by=claimgate) are cached; no object keeps its managedFields;
// the kinds of which only the status is written drop kubectl's last-applied
// annotation, a second copy of their spec. Everything else the compiler reads is cached
// whole, except Secrets (see ClientOptions).
func CacheOptions() cache.Options {
	own := labels.SelectorFromSet(labels.Set{labelManagedBy: managedBy})
	slim := cache.ByObject{Transform: stripLastApplied}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.Deployment{}:                 {Label: own},
			&corev1.ServiceAccount{}:             {Label: own},
			&gwv1.GatewayClass{}:                 slim,
			&gwv1.Gateway{}:                      slim,
			&gwv1.HTTPRoute{}:                    slim,
			&gwv1.ReferenceGrant{}:               slim,
			&gatewayv1.VirtualHostOption{}:       slim,
			&gatewayv1.RouteOption{}:             slim,
			&gloov1.Upstream{}:                   slim,
			&ratelimitv1alpha1.RateLimitConfig{}: slim,
		},
	}
}

// stripLastApplied drops an object's managedFields and kubectl's last-applied
// annotation before it enters the cache. Only statuses are written from these objects,
// and a status write ignores metadata.
func stripLastApplied(in any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(in)
	if err != nil {
		return nil, err
	}
	if o, ok := obj.(metav1.Object); ok {
		if a := o.GetAnnotations(); a[corev1.LastAppliedConfigAnnotation] != "" {
			a = maps.Clone(a)
			delete(a, corev1.LastAppliedConfigAnnotation)
			o.SetAnnotations(a)
		}
	}
	return obj, nil
}

// ClientOptions makes the manager's client read Secrets from the API server, so no
// informer ever holds every Secret of the cluster: the reconciler reads only the
// referenced ones and watches Secrets by metadata.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}}
}
