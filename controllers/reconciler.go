package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
)

// Config wires a Reconciler.
type Config struct {
	// Client reads the cache and writes objects and statuses (the manager's client).
	Client client.Client
	// APIReader reads the Secrets straight from the API server (when their
	// resourceVersion moved) and objects whose status write conflicted.
	APIReader client.Reader
	// Scheme knows every kind (for owner references).
	Scheme *runtime.Scheme
	// Store receives the compiled snapshots; Tracker says which proxies acknowledged them.
	Store   *publish.Store
	Tracker *publish.Tracker
	// Trigger, when set, requeues on proxy ACKs and NACKs (wire it as the Tracker's onChange).
	Trigger *Trigger
	// Proxy is how proxies are provisioned.
	Proxy ProxyConfig
	// ControllerName is the GatewayClass controllerName served (compile.ControllerName when empty).
	ControllerName gwv1.GatewayController
	// Clock stamps condition transitions (the real clock when nil).
	Clock clock.PassiveClock
	// Logger logs what the reconciler does, never a secret value.
	Logger logr.Logger
	// RateLimitStore is where proxies keep rate-limit counters (nil: in each proxy);
	// snapshots with rate limits carry it. It may hold a password.
	RateLimitStore *snapshotv1.RateLimitStore
	// MinCompileInterval spaces the compiles of a burst of changes: a change made less
	// than this after the last compile started waits for the rest of it, and is then
	// compiled together with every change made meanwhile. A change after a quiet spell
	// is compiled at once. Zero compiles whenever a change is queued.
	MinCompileInterval time.Duration
}

// Reconciler reconciles the whole world on every event: it gathers every object,
// compiles them (incrementally: its Compiler compiles again only what changed, see
// compile/delta.go), publishes the snapshots, provisions the proxies and hands the
// statuses to the status writer.
type Reconciler struct {
	cfg Config
	// compiler remembers the previous compilation to recompile only what changed; the
	// controller runs one reconciliation at a time, as a Compiler requires.
	compiler *compile.Compiler
	// status writes the statuses the reconciliations decide.
	status *statusWriter

	// last is the last compilation, with the Services and the generations of the
	// Gateways it saw, for reporting Programmed between compilations.
	last *lastCompile
	// secrets keeps the content of the Secrets read, while their resourceVersion holds.
	secrets *secretCache

	// changes are the HTTPRoutes and RouteOptions named by events since the last
	// compile.
	changes *changeLog
	// offeredAll is when the statuses of every object were last offered.
	offeredAll time.Time
	// spacing spaces the compiles of a burst of changes.
	spacing compileSpacing
	// informers is the manager's cache, whose stores hold the HTTPRoutes and
	// RouteOptions gathered.
	informers cache.Informers

	mu sync.Mutex
	// referenced are the Secrets the last gather looked for; only their events matter.
	referenced map[types.NamespacedName]bool
}

// New validates cfg.
func New(cfg Config) (*Reconciler, error) {
	switch {
	case cfg.Client == nil || cfg.APIReader == nil || cfg.Scheme == nil:
		return nil, errors.New("reconciler needs a client, an API reader and a scheme")
	case cfg.Store == nil || cfg.Tracker == nil:
		return nil, errors.New("reconciler needs a snapshot store and a tracker")
	case cfg.Proxy.Issuer == nil:
		return nil, errors.New("reconciler needs an issuer of proxy certificates")
	}
	if cfg.ControllerName == "" {
		cfg.ControllerName = compile.ControllerName
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Proxy.ServiceType == "" {
		cfg.Proxy.ServiceType = corev1.ServiceTypeLoadBalancer
	}
	return &Reconciler{
		cfg: cfg, compiler: compile.NewCompiler(), referenced: map[types.NamespacedName]bool{}, changes: newChangeLog(),
		spacing: compileSpacing{min: cfg.MinCompileInterval},
		secrets: newSecretCache(cfg.APIReader),
		status:  newStatusWriter(cfg.Client, cfg.APIReader, cfg.Logger.WithName("status")),
	}, nil
}

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses;gateways;httproutes;referencegrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gatewayclasses/status;gateways/status;httproutes/status,verbs=get;update
// +kubebuilder:rbac:groups=gateway.solo.io,resources=virtualhostoptions;routeoptions,verbs=get;list;watch
// +kubebuilder:rbac:groups=gateway.solo.io,resources=virtualhostoptions/status;routeoptions/status,verbs=get;update
// +kubebuilder:rbac:groups=gloo.solo.io,resources=upstreams,verbs=get;list;watch
// +kubebuilder:rbac:groups=gloo.solo.io,resources=upstreams/status,verbs=get;update
// +kubebuilder:rbac:groups=ratelimit.solo.io,resources=ratelimitconfigs,verbs=get;list;watch
// +kubebuilder:rbac:groups=ratelimit.solo.io,resources=ratelimitconfigs/status,verbs=get;update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// SetupWithManager watches every kind that feeds a snapshot, the proxies' objects, the
// referenced Secrets (by metadata) and the Trigger, all mapped to the one world key.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	world := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{worldKey}
	})
	b := ctrl.NewControllerManagedBy(mgr).Named("claimgate").
		WithOptions(controller.Options{MaxConcurrentReconciles: 1})
	// Of the kinds with a status, only spec changes (a new generation), creations and
	// deletions matter: our own status writes must not cause another reconciliation.
	specOnly := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	for _, obj := range []client.Object{
		&gwv1.GatewayClass{}, &gwv1.Gateway{}, &gwv1.ReferenceGrant{},
		&gatewayv1.VirtualHostOption{}, &gloov1.Upstream{}, &ratelimitv1alpha1.RateLimitConfig{}, &appsv1.Deployment{},
	} {
		b = b.Watches(obj, world, specOnly)
	}
	b = b.Watches(&gwv1.HTTPRoute{}, r.logged(true)).Watches(&gatewayv1.RouteOption{}, r.logged(false))
	// Services (addresses, backends), Namespaces (labels) and ServiceAccounts have no
	// generation worth filtering on.
	for _, obj := range []client.Object{&corev1.Service{}, &corev1.Namespace{}, &corev1.ServiceAccount{}} {
		b = b.Watches(obj, world)
	}
	b = b.Watches(&corev1.Secret{}, world, builder.OnlyMetadata, builder.WithPredicates(predicate.NewPredicateFuncs(r.secretMatters)))
	if r.cfg.Trigger != nil {
		b = b.WatchesRawSource(r.cfg.Trigger)
	}
	// Secrets' metadata comes from the watch below, through the cache: the client
	// would read it from the API server, as it reads Secrets.
	r.secrets.meta = mgr.GetCache()
	r.informers = mgr.GetCache()
	if err := mgr.Add(r.status); err != nil {
		return fmt.Errorf("adding the status writer: %w", err)
	}
	return b.Complete(r)
}

// compileSpacing spaces compiles by at least min between their starts (none when min
// is zero).
type compileSpacing struct {
	min  time.Duration
	last time.Time
}

// wait returns how long a compile wanted at now must wait; zero when it may start,
// which is then recorded as the last start.
func (s *compileSpacing) wait(now time.Time) time.Duration {
	if s.min > 0 && !s.last.IsZero() {
		if left := s.min - now.Sub(s.last); left > 0 {
			return left
		}
	}
	s.last = now
	return 0
}

// logged handles the events of HTTPRoutes (route) or RouteOptions, which are many:
// each event is logged by name, so that the compile compares only those objects. All
// but a status-only update (one that keeps the generation, as our own status writes
// do) queue a reconciliation. A status-only update is logged all the same: the cache
// now holds a new object, which the next compile keeps in place of the one it held,
// so that the replaced object is freed rather than kept alive by the compiler. Past
// maxLoggedChanges names the log forgets what changed and the next compile compares
// every object: a burst of status writes that fills the log queues that compile
// itself, so that it does not fall on the next change someone makes.
func (r *Reconciler) logged(route bool) handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	log := func(obj client.Object, q queue, reconcile bool) {
		if forgot := r.changes.add(route, key(obj)); reconcile || forgot {
			q.Add(worldKey)
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) { log(e.Object, q, true) },
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) {
			log(e.ObjectNew, q, e.ObjectOld == nil || e.ObjectNew.GetGeneration() != e.ObjectOld.GetGeneration())
		},
		DeleteFunc:  func(_ context.Context, e event.DeleteEvent, q queue) { log(e.Object, q, true) },
		GenericFunc: func(_ context.Context, e event.GenericEvent, q queue) { log(e.Object, q, true) },
	}
}

// secretMatters passes the events of Secrets that are referenced or provisioned by us.
func (r *Reconciler) secretMatters(obj client.Object) bool {
	if obj.GetLabels()[labelManagedBy] == managedBy {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.referenced[types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}]
}

// Reconcile reconciles the world (the world key), or reports the Gateways' Programmed
// condition again after proxies' events (the programmed key).
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (res reconcile.Result, err error) {
	if req == programmedKey {
		return reconcile.Result{}, r.reportProgrammed(ctx)
	}
	if wait := r.spacing.wait(time.Now()); wait > 0 {
		// Back then; a change queued meanwhile is handed over here and waits too.
		return reconcile.Result{RequeueAfter: wait}, nil
	}
	start := r.cfg.Clock.Now()
	defer func() {
		reconcileDuration.Observe(r.cfg.Clock.Since(start).Seconds())
		result := "success"
		if err != nil {
			result = "error"
		}
		reconcileTotal.WithLabelValues(result).Inc()
	}()
	changed := r.changes.take()
	in, err := r.gather(ctx)
	if err != nil {
		r.changes.lost()
		return reconcile.Result{}, err
	}
	in.Changed = changed
	compileStart := r.cfg.Clock.Now()
	out := r.compiler.Compile(in)
	compileDuration.Observe(r.cfg.Clock.Since(compileStart).Seconds())
	mode := "full"
	if r.compiler.Incremental() {
		mode = "incremental"
	}
	compileTotal.WithLabelValues(mode).Inc()
	publishStart := r.cfg.Clock.Now()
	r.publish(out)
	provisionStart := r.cfg.Clock.Now()
	services, err := r.provisionAll(ctx, in, out)
	// The status offers run later than this reconciliation and the next may replace
	// its result first: they keep only the part of it they read.
	statuses := forStatuses(out)
	r.status.plan(func(only *compile.Recomputed) { r.offerStatuses(in, statuses, services, only) }, r.toOffer(out))
	r.remember(in, statuses, services)
	r.cfg.Logger.V(1).Info("reconciled", "compile", mode, "routes", len(in.HTTPRoutes),
		"gather", compileStart.Sub(start), "compileTime", publishStart.Sub(compileStart),
		"publish", provisionStart.Sub(publishStart), "provision", r.cfg.Clock.Since(provisionStart))
	return reconcile.Result{}, err
}
