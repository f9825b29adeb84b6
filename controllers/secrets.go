package controllers

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// secretCache keeps the content of the Secrets the controller reads (those referenced
// by Upstreams and listeners, and the proxies' certificates), so a reconciliation does
// not read them from the API server again. No informer holds Secret data: the Secrets'
// metadata comes from the metadata-only watch the reconciler sets up, and a Secret is
// read again only when its resourceVersion there moved.
type secretCache struct {
	meta   client.Reader // the manager's cache: Secrets' metadata (nil: read every time)
	reader client.Reader // the API server

	mu    sync.Mutex
	byKey map[types.NamespacedName]*corev1.Secret
}

func newSecretCache(reader client.Reader) *secretCache {
	return &secretCache{reader: reader, byKey: map[types.NamespacedName]*corev1.Secret{}}
}

// get returns the Secret key names, read-only, or an error (IsNotFound when it does not
// exist).
func (c *secretCache) get(ctx context.Context, key types.NamespacedName) (*corev1.Secret, error) {
	if s := c.current(ctx, key); s != nil {
		return s, nil
	}
	s := &corev1.Secret{}
	err := c.reader.Get(ctx, key, s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.byKey, key)
		return nil, err
	}
	c.byKey[key] = s
	return s, nil
}

// current returns the kept copy of key while the metadata cache shows the Secret at
// the same resourceVersion, else nil. Not in the metadata cache may mean not seen yet:
// the API server is asked then.
func (c *secretCache) current(ctx context.Context, key types.NamespacedName) *corev1.Secret {
	if c.meta == nil {
		return nil
	}
	pm := &metav1.PartialObjectMetadata{}
	pm.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := c.meta.Get(ctx, key, pm); err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.byKey[key]; s != nil && s.ResourceVersion == pm.ResourceVersion {
		return s
	}
	return nil
}

// keep forgets the Secrets for which keep is false.
func (c *secretCache) keep(keep func(types.NamespacedName) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.byKey {
		if !keep(key) {
			delete(c.byKey, key)
		}
	}
}
