package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

var (
	httpRouteGVK   = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	routeOptionGVK = schema.GroupVersionKind{Group: "gateway.solo.io", Version: "v1", Kind: "RouteOption"}
)

// benchPath is the path the i-th bench route serves.
func benchPath(i int) string { return "/bench/" + strconv.Itoa(i) }

// benchRoute is the i-th HTTPRoute: benchPath(i) to the tutorial's Upstream.
func benchRoute(i int) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "bench-" + strconv.Itoa(i), "namespace": stack.GatewayNamespace},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": stack.GatewayName, "namespace": stack.GatewayNamespace}},
			"rules": []any{map[string]any{
				"matches": []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": benchPath(i)}}},
				"filters": []any{map[string]any{"type": "URLRewrite", "urlRewrite": map[string]any{
					"path": map[string]any{"type": "ReplaceFullPath", "replaceFullPath": "/v1/chat/completions"},
				}}},
				"backendRefs": []any{map[string]any{
					"name": "openai", "namespace": stack.GatewayNamespace, "group": "gloo.solo.io", "kind": "Upstream",
				}},
			}},
		},
	}}
	u.SetGroupVersionKind(httpRouteGVK)
	return u
}

// rbacOptions is the tutorial's RouteOption spec.options with the claim value model.
func rbacOptions(model string) map[string]any {
	return map[string]any{"rbac": map[string]any{"policies": map[string]any{"viewer": map[string]any{
		"nestedClaimDelimiter": ".",
		"principals": []any{map[string]any{"jwtPrincipal": map[string]any{
			"claims": map[string]any{"llms.openai": model}, "matcher": "LIST_CONTAINS",
		}}},
	}}}}
}

// benchOption is the i-th RouteOption: the tutorial's rule on the i-th route.
func benchOption(i int) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "bench-" + strconv.Itoa(i), "namespace": stack.GatewayNamespace},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{
				"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "bench-" + strconv.Itoa(i),
			}},
			"options": rbacOptions("gpt-3.5-turbo"),
		},
	}}
	u.SetGroupVersionKind(routeOptionGVK)
	return u
}

// createRange creates the routes and options [from, to) with workers parallel clients.
func (c *cp) createRange(ctx context.Context, from, to, workers int) error {
	idx := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				for _, o := range []*unstructured.Unstructured{benchRoute(i), benchOption(i)} {
					if err := c.client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
						errs <- fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetName(), err)
						return
					}
				}
			}
		}()
	}
	var err error
feed:
	for i := from; i < to; i++ {
		select {
		case idx <- i:
		case err = <-errs:
			break feed
		}
	}
	close(idx)
	wg.Wait()
	close(errs)
	if err != nil {
		return err
	}
	return <-errs
}

// setTutorialClaim sets the claim value of the tutorial's RouteOption openai-opt.
func (c *cp) setTutorialClaim(ctx context.Context, model string) error {
	// The controller writes the status meanwhile: retry on a conflict.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(routeOptionGVK)
		if err := c.client.Get(ctx, clientKey(stack.GatewayNamespace, "openai-opt"), u); err != nil {
			return err
		}
		if err := unstructured.SetNestedField(u.Object, rbacOptions(model), "spec", "options"); err != nil {
			return err
		}
		return c.client.Update(ctx, u)
	})
	if err != nil {
		return fmt.Errorf("updating RouteOption openai-opt: %w", err)
	}
	return nil
}
