package controllers

import (
	"context"
	"reflect"
	"sync"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/claimgate/claimgate/controllers/compile"
)

// statusWorkers is how many status writes are in flight at once.
const statusWorkers = 8

// maxStatusConflicts is how many times one status write is merged again onto the
// object as the API server has it before it is retried later.
const maxStatusConflicts = 4

// statusWriter writes statuses off the reconcile path: a snapshot is published without
// waiting for the status writes of thousands of routes. It keeps at most one pending
// status per object (a newer one replaces it), writes with several workers, and
// resolves a conflict by merging the same decision again onto the fresh object.
// It runs only on the leader, as a manager Runnable.
type statusWriter struct {
	client client.Client
	reader client.Reader
	log    logr.Logger
	queue  workqueue.TypedRateLimitingInterface[statusKey]

	mu      sync.Mutex
	pending map[statusKey]*statusUpdate
	// settled remembers, for the objects offered with a Decision, the decision last
	// found written and the object's resourceVersion then: while both hold, the object
	// is passed over without merging its status again. round marks the entries offered
	// by the current reconciliation; the others are objects gone.
	settled map[statusKey]settledStatus
	round   uint64
	// nextPlan is the latest reconciliation's offers not started yet; planned wakes
	// the planning goroutine.
	nextPlan *statusPlan
	planned  chan struct{}
}

// statusPlan is one reconciliation's offers and the statuses they must offer: those
// its compile decided again and those of the plans it replaced before they started.
type statusPlan struct {
	offers func(only *compile.Recomputed)
	only   *compile.Recomputed
}

// settledStatus is a decision known to be written at an object's resourceVersion.
type settledStatus struct {
	decision        compile.Decision
	resourceVersion string
	round           uint64
}

// statusKey names one object of one kind.
type statusKey struct {
	kind string
	types.NamespacedName
}

// statusMerge lays a decided status over obj (read-only) and returns the copy to write,
// or false when obj already has it.
type statusMerge func(obj client.Object) (client.Object, bool)

// statusUpdate is one status to write: how to compute it from the object, merged at
// write time onto the object as the cache (or, after a conflict, the API server) has
// it, so that thousands of pending statuses hold no copy of their objects.
type statusUpdate struct {
	merge statusMerge
	empty func() client.Object
	// decision identifies the decision (zero: none), base and generation are the
	// resourceVersion and generation of the object it was decided from.
	decision   compile.Decision
	base       string
	generation int64
}

func newStatusWriter(c client.Client, reader client.Reader, log logr.Logger) *statusWriter {
	return &statusWriter{
		client: c, reader: reader, log: log,
		pending: map[statusKey]*statusUpdate{}, settled: map[statusKey]settledStatus{},
		planned: make(chan struct{}, 1),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[statusKey](),
			workqueue.TypedRateLimitingQueueConfig[statusKey]{Name: "claimgate_status"}),
	}
}

// offer queues the status merge decides for obj, a cache object it does not modify, when
// it differs from obj's. A status still pending for the object is replaced. decision,
// when not zero, identifies the decided status by its content (compile.Decision): an
// object whose status was already found or written with it, and not changed since, is
// passed over without merging.
func offer[T client.Object](w *statusWriter, kind string, obj T, decision compile.Decision, merge func(T) (T, bool)) {
	k, rv := statusKey{kind: kind, NamespacedName: key(obj)}, obj.GetResourceVersion()
	if !decision.IsZero() && w.unchanged(k, decision, rv) {
		return
	}
	if _, changed := merge(obj); !changed {
		w.settle(k, decision, rv)
		return
	}
	// The closures must not hold obj: a pending update would keep this version of it
	// alive (and, for the kinds gathered by List, the list's whole array).
	typ := reflect.TypeOf(obj).Elem()
	u := &statusUpdate{
		decision: decision, base: rv, generation: obj.GetGeneration(),
		merge: func(o client.Object) (client.Object, bool) {
			t, ok := o.(T)
			if !ok {
				return nil, false
			}
			return merge(t)
		},
		empty: func() client.Object { return reflect.New(typ).Interface().(client.Object) },
	}
	w.mu.Lock()
	w.pending[k] = u
	w.mu.Unlock()
	w.queue.Add(k)
}

// unchanged reports whether decision is settled for k at rv, or pending from rv; it
// marks k as offered in this round.
func (w *statusWriter) unchanged(k statusKey, decision compile.Decision, rv string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.settled[k]; ok {
		s.round = w.round
		w.settled[k] = s
		if s.decision == decision && s.resourceVersion == rv {
			return true
		}
	}
	u := w.pending[k]
	return u != nil && u.decision == decision && u.base == rv
}

// settle records that k has decision written at rv (nothing for a zero decision).
func (w *statusWriter) settle(k statusKey, decision compile.Decision, rv string) {
	if decision.IsZero() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.settled[k] = settledStatus{decision: decision, resourceVersion: rv, round: w.round}
}

// forget forgets what is settled for k, an object gone.
func (w *statusWriter) forget(k statusKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.settled, k)
}

// endRound forgets the settled objects the round did not offer: they are gone. Only a
// round that offered every object ends.
func (w *statusWriter) endRound() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, s := range w.settled {
		if s.round != w.round {
			delete(w.settled, k)
		}
	}
	w.round++
}

// plan has offers, which offers the statuses one reconciliation decided, run on the
// writer's planning goroutine: the reconciliation does not wait for thousands of
// comparisons. only names the statuses that reconciliation decided again (nil: all,
// see compile.Result.Recomputed). Offers not started when a newer reconciliation plans
// are dropped, and what they had to offer is added to the newer one's only: its
// decisions are as new for those objects.
func (w *statusWriter) plan(offers func(only *compile.Recomputed), only *compile.Recomputed) {
	w.mu.Lock()
	if w.nextPlan != nil {
		only = only.Union(w.nextPlan.only)
	}
	w.nextPlan = &statusPlan{offers: offers, only: only}
	w.mu.Unlock()
	select {
	case w.planned <- struct{}{}:
	default:
	}
}

// Start runs the planning goroutine and the workers until ctx ends (manager.Runnable).
func (w *statusWriter) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range statusWorkers {
		wg.Go(func() {
			for w.next(ctx) {
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.planned:
			}
			w.mu.Lock()
			p := w.nextPlan
			w.nextPlan = nil
			w.mu.Unlock()
			if p != nil {
				p.offers(p.only)
			}
		}
	})
	<-ctx.Done()
	w.queue.ShutDown()
	wg.Wait()
	return nil
}

// next writes one pending status; false when the queue is shut down.
func (w *statusWriter) next(ctx context.Context) bool {
	k, shutdown := w.queue.Get()
	if shutdown {
		return false
	}
	defer w.queue.Done(k)
	w.mu.Lock()
	u := w.pending[k]
	delete(w.pending, k)
	w.mu.Unlock()
	if u == nil {
		return true
	}
	err := w.write(ctx, k, u)
	if err == nil {
		w.queue.Forget(k)
		return true
	}
	statusWrites.WithLabelValues(k.kind, "error").Inc()
	w.log.Error(err, "writing a status; retrying", "kind", k.kind, "namespace", k.Namespace, "name", k.Name)
	w.mu.Lock()
	if _, newer := w.pending[k]; !newer {
		w.pending[k] = u
	}
	w.mu.Unlock()
	w.queue.AddRateLimited(k)
	return true
}

// write writes u, merged onto the object as the cache has it, and again onto the
// object as the API server has it after a conflict. An object deleted, or whose spec
// changed since the decision, is left: the reconciliation its change causes decides
// again.
func (w *statusWriter) write(ctx context.Context, k statusKey, u *statusUpdate) error {
	cur := u.empty()
	if err := w.client.Get(ctx, k.NamespacedName, cur); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return errorf(k, err)
	}
	for conflicts := 0; ; conflicts++ {
		if cur.GetGeneration() != u.generation {
			return nil
		}
		next, changed := u.merge(cur)
		if !changed {
			w.settle(k, u.decision, cur.GetResourceVersion())
			return nil
		}
		err := w.client.Status().Update(ctx, next)
		switch {
		case err == nil:
			w.settle(k, u.decision, next.GetResourceVersion())
			statusWrites.WithLabelValues(k.kind, "written").Inc()
			w.log.V(1).Info("wrote status", "kind", k.kind, "namespace", k.Namespace, "name", k.Name)
			return nil
		case apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err) || conflicts == maxStatusConflicts:
			return errorf(k, err)
		}
		statusWrites.WithLabelValues(k.kind, "conflict").Inc()
		cur = u.empty()
		if err := w.reader.Get(ctx, k.NamespacedName, cur); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return errorf(k, err)
		}
	}
}

func errorf(k statusKey, err error) error {
	return &statusError{key: k, err: err}
}

// statusError names the object whose status could not be written.
type statusError struct {
	key statusKey
	err error
}

func (e *statusError) Error() string {
	return "writing the status of " + e.key.kind + " " + e.key.String() + ": " + e.err.Error()
}

func (e *statusError) Unwrap() error { return e.err }
