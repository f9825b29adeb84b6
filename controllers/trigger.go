package controllers

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// worldKey is the work-queue key of every cache event: the compiler is whole-world, so
// every event asks for one recompilation and the queue collapses bursts into one.
var worldKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "claimgate"}}

// programmedKey is the key of the proxies' events: only the Gateways' Programmed
// condition follows them, from the last compilation.
var programmedKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "claimgate-programmed"}}

// Trigger is a source of reconciliations from outside the cache: the publish tracker
// calls Notify when a proxy connects, disconnects, acknowledges or rejects a snapshot,
// so the Gateway's Programmed condition follows.
type Trigger struct {
	mu    sync.Mutex
	queue workqueue.TypedRateLimitingInterface[reconcile.Request]
}

// NewTrigger returns a Trigger not yet attached to a controller.
func NewTrigger() *Trigger { return &Trigger{} }

// Start attaches the trigger to the controller's queue (source.Source).
func (t *Trigger) Start(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queue = q
	return nil
}

// Notify asks for the Gateways' Programmed condition to be reported again. Before the
// controller starts it does nothing: the first reconciliation reports it anyway.
func (t *Trigger) Notify() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.queue != nil {
		t.queue.Add(programmedKey)
	}
}
