package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	"github.com/claimgate/claimgate/controllers/compile"
)

// gather lists every object the compiler reads. It is the only code that reads the
// cache. No informer holds Secrets: only the ones an Upstream or a listener references
// are read, from the reconciler's Secret cache (secrets.go), which reads a Secret from
// the API server again only when its resourceVersion moved.
func (r *Reconciler) gather(ctx context.Context) (compile.Inputs, error) {
	in := compile.Inputs{ControllerName: r.cfg.ControllerName, RateLimitStore: r.cfg.RateLimitStore}
	var (
		classes  gwv1.GatewayClassList
		gateways gwv1.GatewayList
		grants   gwv1.ReferenceGrantList
		services corev1.ServiceList
		nss      corev1.NamespaceList
		vhos     gatewayv1.VirtualHostOptionList
		ups      gloov1.UpstreamList
		rlcs     ratelimitv1alpha1.RateLimitConfigList
	)
	for kind, l := range map[string]client.ObjectList{
		"GatewayClasses": &classes, "Gateways": &gateways,
		"ReferenceGrants": &grants, "Services": &services, "Namespaces": &nss,
		"VirtualHostOptions": &vhos, "Upstreams": &ups, "RateLimitConfigs": &rlcs,
	} {
		// The cache's own objects, not copies: everything downstream only reads them.
		if err := r.cfg.Client.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return in, fmt.Errorf("listing %s: %w", kind, err)
		}
	}
	in.GatewayClasses, in.Gateways = classes.Items, gateways.Items
	in.ReferenceGrants, in.Services, in.Namespaces = grants.Items, services.Items, nss.Items
	in.VirtualHostOptions, in.Upstreams, in.RateLimitConfigs = vhos.Items, ups.Items, rlcs.Items
	var err error
	if in.HTTPRoutes, err = cachedObjects[gwv1.HTTPRoute](ctx, r.informers); err != nil {
		return in, fmt.Errorf("listing HTTPRoutes: %w", err)
	}
	if in.RouteOptions, err = cachedObjects[gatewayv1.RouteOption](ctx, r.informers); err != nil {
		return in, fmt.Errorf("listing RouteOptions: %w", err)
	}
	secrets, err := r.referencedSecrets(ctx, in)
	if err != nil {
		return in, err
	}
	in.Secrets = secrets
	return in, nil
}

// cachedObjects returns the objects of kind T in the informer's store, as pointers to
// the store's own objects: a List would copy each into its Items, which at thousands
// of routes costs more than the compile. The store replaces an object that changes,
// never modifies it.
func cachedObjects[T any, P interface {
	*T
	client.Object
}](ctx context.Context, informers cache.Informers) ([]P, error) {
	inf, err := informers.GetInformer(ctx, P(new(T)))
	if err != nil {
		return nil, err
	}
	store, ok := inf.(interface{ GetStore() toolscache.Store })
	if !ok {
		return nil, fmt.Errorf("the cache's informer %T keeps no store", inf)
	}
	items := store.GetStore().List()
	out := make([]P, len(items))
	for i, item := range items {
		if out[i], ok = item.(P); !ok {
			return nil, fmt.Errorf("the cache holds a %T among %T", item, out[i])
		}
	}
	return out, nil
}

// referencedSecrets gets the Secrets named by Upstream authTokens and by listener
// certificateRefs from the Secret cache, which forgets the others (the proxies'
// certificates apart). A missing Secret is left out: the compiler reports it.
func (r *Reconciler) referencedSecrets(ctx context.Context, in compile.Inputs) ([]corev1.Secret, error) {
	keys := secretRefs(in)
	referenced := make(map[types.NamespacedName]bool, len(keys))
	for _, k := range keys {
		referenced[k] = true
	}
	r.mu.Lock()
	r.referenced = referenced
	r.mu.Unlock()
	certificates := make(map[types.NamespacedName]bool, len(in.Gateways))
	for i := range in.Gateways {
		certificates[certificateSecret(&in.Gateways[i])] = true
	}
	r.secrets.keep(func(k types.NamespacedName) bool { return referenced[k] || certificates[k] })
	out := make([]corev1.Secret, 0, len(keys))
	for _, key := range keys {
		s, err := r.secrets.get(ctx, key)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("reading Secret %s: %w", key, err)
		}
		out = append(out, *s) // shares the data, which the compiler only reads
	}
	return out, nil
}

// secretRefs returns the Secrets the inputs' Upstreams and Gateways reference (as the
// compiler looks them up), sorted and without duplicates.
func secretRefs(in compile.Inputs) []types.NamespacedName {
	seen := map[types.NamespacedName]bool{}
	for i := range in.Upstreams {
		for _, key := range compile.ReferencedSecrets(&in.Upstreams[i]) {
			seen[key] = true
		}
	}
	for _, o := range in.RouteOptions {
		for _, key := range compile.ReferencedSecrets(o) {
			seen[key] = true
		}
	}
	for i := range in.Gateways {
		for _, key := range compile.ReferencedSecrets(&in.Gateways[i]) {
			seen[key] = true
		}
	}
	return slices.SortedFunc(maps.Keys(seen), func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
}
