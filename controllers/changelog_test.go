package controllers

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func TestChangeLog(t *testing.T) {
	l := newChangeLog()
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	l.add(true, a)
	require.Nil(t, l.take(), "before the first compile what changed is unknown")

	l.add(true, a)
	l.add(true, a)
	l.add(false, b)
	ch := l.take()
	require.NotNil(t, ch)
	require.Equal(t, []types.NamespacedName{a}, ch.HTTPRoutes)
	require.Equal(t, []types.NamespacedName{b}, ch.RouteOptions)
	ch = l.take()
	require.NotNil(t, ch)
	require.Empty(t, ch.HTTPRoutes, "nothing since the last take")

	l.add(false, b)
	l.lost()
	require.Nil(t, l.take(), "a reconciliation that did not compile loses the log")

	for i := range maxLoggedChanges + 1 {
		forgot := l.add(true, types.NamespacedName{Namespace: "ns", Name: string(rune('a'+i%26)) + string(rune(i))})
		require.Equal(t, i == maxLoggedChanges, forgot, "name %d", i)
	}
	require.False(t, l.add(true, a), "what changed is unknown already")
	require.Nil(t, l.take(), "past maxLoggedChanges names what changed is unknown")
}

// TestStatusOnlyUpdatesAreLoggedNotReconciled sends the route events a watch delivers
// through the handler of HTTPRoutes: every one is logged by name, and all but an
// update that keeps the generation (a status write) queue a reconciliation.
func TestStatusOnlyUpdatesAreLoggedNotReconciled(t *testing.T) {
	r := &Reconciler{changes: newChangeLog()}
	r.changes.take() // what changed is known from here on
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	h := r.logged(true)
	route := func(name string, generation int64) *gwv1.HTTPRoute {
		return &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Generation: generation}}
	}
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		send      func()
		reconcile bool
	}{
		{"status", func() {
			h.Update(ctx, event.UpdateEvent{ObjectOld: route("status", 3), ObjectNew: route("status", 3)}, q)
		}, false},
		{"spec", func() { h.Update(ctx, event.UpdateEvent{ObjectOld: route("spec", 3), ObjectNew: route("spec", 4)}, q) }, true},
		{"created", func() { h.Create(ctx, event.CreateEvent{Object: route("created", 1)}, q) }, true},
		{"deleted", func() { h.Delete(ctx, event.DeleteEvent{Object: route("deleted", 1)}, q) }, true},
		{"unknown", func() { h.Update(ctx, event.UpdateEvent{ObjectNew: route("unknown", 1)}, q) }, true}, // no old object
	} {
		c.send()
		ch := r.changes.take()
		require.Equal(t, []types.NamespacedName{{Namespace: "ns", Name: c.name}}, ch.HTTPRoutes, "%s: logged", c.name)
		require.Empty(t, ch.RouteOptions, c.name)
		if !c.reconcile {
			require.Zero(t, q.Len(), "%s: no reconciliation", c.name)
			continue
		}
		require.Equal(t, 1, q.Len(), "%s: a reconciliation", c.name)
		got, _ := q.Get()
		require.Equal(t, worldKey, got)
		q.Done(got)
	}

	// A burst of status writes past maxLoggedChanges queues the compile that compares
	// every object, once.
	for i := range maxLoggedChanges + 10 {
		name := fmt.Sprintf("written-%d", i)
		h.Update(ctx, event.UpdateEvent{ObjectOld: route(name, 1), ObjectNew: route(name, 1)}, q)
		require.Equal(t, i >= maxLoggedChanges, q.Len() == 1, "after %d status writes", i+1)
	}
	require.Nil(t, r.changes.take(), "what changed is unknown")
}
