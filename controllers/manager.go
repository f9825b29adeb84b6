package controllers

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CacheOptions keeps the cache small: of Deployments and ServiceAccounts only the
// proxies' (labelled managed-by=claimgate) are cached. Everything the compiler reads is
// cached whole, except Secrets (see ClientOptions).
func CacheOptions() cache.Options {
	own := labels.SelectorFromSet(labels.Set{labelManagedBy: managedBy})
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}:     {Label: own},
		&corev1.ServiceAccount{}: {Label: own},
	}}
}

// ClientOptions makes the manager's client read Secrets from the API server, so no
// informer ever holds every Secret of the cluster: the reconciler reads only the
// referenced ones and watches Secrets by metadata.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}}
}
