package controllers

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	"github.com/claimgate/claimgate/controllers/compile"
)

// gather lists every object the compiler reads. It is the only code that reads the cache.
// Secrets are not cached: only the ones an Upstream or a listener references are read,
// straight from the API server.
func (r *Reconciler) gather(ctx context.Context) (compile.Inputs, error) {
	in := compile.Inputs{ControllerName: r.cfg.ControllerName}
	var (
		classes  gwv1.GatewayClassList
		gateways gwv1.GatewayList
		routes   gwv1.HTTPRouteList
		grants   gwv1.ReferenceGrantList
		services corev1.ServiceList
		nss      corev1.NamespaceList
		vhos     gatewayv1.VirtualHostOptionList
		rtos     gatewayv1.RouteOptionList
		ups      gloov1.UpstreamList
	)
	for kind, l := range map[string]client.ObjectList{
		"GatewayClasses": &classes, "Gateways": &gateways, "HTTPRoutes": &routes,
		"ReferenceGrants": &grants, "Services": &services, "Namespaces": &nss,
		"VirtualHostOptions": &vhos, "RouteOptions": &rtos, "Upstreams": &ups,
	} {
		// The cache's own objects, not copies: everything downstream only reads them.
		if err := r.cfg.Client.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return in, fmt.Errorf("listing %s: %w", kind, err)
		}
	}
	in.GatewayClasses, in.Gateways, in.HTTPRoutes = classes.Items, gateways.Items, routes.Items
	in.ReferenceGrants, in.Services, in.Namespaces = grants.Items, services.Items, nss.Items
	in.VirtualHostOptions, in.RouteOptions, in.Upstreams = vhos.Items, rtos.Items, ups.Items
	secrets, err := r.referencedSecrets(ctx, in)
	if err != nil {
		return in, err
	}
	in.Secrets = secrets
	return in, nil
}

// referencedSecrets reads the Secrets named by Upstream authTokens and by listener
// certificateRefs. A missing Secret is left out: the compiler reports it.
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

// secretRefs returns the Secrets the inputs reference, sorted and without duplicates.
func secretRefs(in compile.Inputs) []types.NamespacedName {
	seen := map[types.NamespacedName]bool{}
	for i := range in.Upstreams {
		u := &in.Upstreams[i]
		if ref := upstreamSecretRef(u); ref != nil {
			ns := ref.Namespace
			if ns == "" {
				ns = u.Namespace
			}
			seen[types.NamespacedName{Namespace: ns, Name: ref.Name}] = true
		}
	}
	for i := range in.Gateways {
		gw := &in.Gateways[i]
		for _, l := range gw.Spec.Listeners {
			if l.TLS == nil {
				continue
			}
			for _, ref := range l.TLS.CertificateRefs {
				if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
					continue
				}
				ns := gw.Namespace
				if ref.Namespace != nil {
					ns = string(*ref.Namespace)
				}
				seen[types.NamespacedName{Namespace: ns, Name: string(ref.Name)}] = true
			}
		}
	}
	out := make([]types.NamespacedName, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// upstreamSecretRef returns the Secret an AI Upstream's authToken names, or nil.
func upstreamSecretRef(u *gloov1.Upstream) *gloov1.SecretRef {
	ai := u.Spec.AI
	if ai == nil {
		return nil
	}
	switch {
	case ai.OpenAI != nil:
		return ai.OpenAI.AuthToken.SecretRef
	case ai.Mistral != nil:
		return ai.Mistral.AuthToken.SecretRef
	case ai.Anthropic != nil:
		return ai.Anthropic.AuthToken.SecretRef
	case ai.AzureOpenAI != nil:
		return ai.AzureOpenAI.AuthToken.SecretRef
	case ai.Gemini != nil:
		return ai.Gemini.AuthToken.SecretRef
	}
	return nil
}
