package compile

import (
	"cmp"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// tracked is what a Compiler remembers of one HTTPRoute or RouteOption: where it was,
// the version compiled and where its compile keeps it (nil when it has none).
type tracked[P any] struct {
	key     types.NamespacedName
	obj     P
	version objectVersion
	mark    uint64
	objRef  *P
}

// table remembers the HTTPRoutes or the RouteOptions of the previous compile.
type table[P any] struct {
	byKey map[types.NamespacedName]*tracked[P]
	// sorted are the entries in namespace/name order, as the index's sorted list.
	sorted []*tracked[P]
	// pos are the entries by position in the input slice starting at base.
	pos  []*tracked[P]
	base *P
}

// changes are the keys of one kind that were added, changed or removed, and whether
// some objects are at a new address with the same version.
type changes struct {
	keys  []types.NamespacedName
	moved bool
}

// versionedPtr is a pointer to a versioned object type T.
type versionedPtr[T any] interface {
	*T
	versioned
}

// newTable remembers the objects of sorted (one per key), with mark; ref says where
// the compile of each object keeps it.
func newTable[T any, P versionedPtr[T]](sorted []P, mark uint64, ref func(types.NamespacedName) *P) (*table[P], bool) {
	t := &table[P]{byKey: make(map[types.NamespacedName]*tracked[P], len(sorted)), sorted: make([]*tracked[P], 0, len(sorted))}
	for _, p := range sorted {
		v, ok := versionOf(p)
		if !ok {
			return nil, false
		}
		key := types.NamespacedName{Namespace: p.GetNamespace(), Name: p.GetName()}
		e := &tracked[P]{key: key, obj: p, version: v, mark: mark, objRef: ref(key)}
		t.byKey[key] = e
		t.sorted = append(t.sorted, e)
	}
	return t, true
}

// diffObjects compares in with the table and updates the table, the index map of the
// kind and the compiles of objects at a new address. It reports false when an object
// has no version or two objects share a key. meta returns an object's metadata.
func diffObjects[T any, P versionedPtr[T]](t *table[P], idx map[types.NamespacedName]P, in []P, meta func(P) *metav1.ObjectMeta, mark uint64) (changes, bool) {
	var ch changes
	before, seen := len(t.byKey), 0
	reposition(t, in)
	for i, p := range in {
		m := meta(p)
		v, ok := metaVersion(m.UID, m.ResourceVersion, m.Generation, false)
		if !ok {
			return ch, false
		}
		e := t.pos[i]
		if e == nil || e.key.Name != m.Name || e.key.Namespace != m.Namespace {
			e = t.byKey[types.NamespacedName{Namespace: m.Namespace, Name: m.Name}]
			t.pos[i] = e
		}
		switch {
		case e == nil:
			e = &tracked[P]{key: types.NamespacedName{Namespace: m.Namespace, Name: m.Name}, obj: p, version: v, mark: mark}
			t.byKey[e.key], t.pos[i] = e, e
			ch.keys = append(ch.keys, e.key)
			continue
		case e.mark == mark:
			return ch, false
		}
		seen++
		e.mark = mark
		switch {
		case e.version != v:
			e.version, e.obj = v, p
			ch.keys = append(ch.keys, e.key)
		case e.obj != p:
			e.obj, idx[e.key], ch.moved = p, p, true
			if e.objRef != nil {
				*e.objRef = p
			}
		}
	}
	if seen < before {
		for key, e := range t.byKey {
			if e.mark != mark {
				delete(t.byKey, key)
				ch.keys = append(ch.keys, key)
			}
		}
	}
	return ch, true
}

// maxNamed is how many named objects of a kind diffNamed takes: it scans the input
// once, looking each object's name up among the named ones. The controller names at
// most 1,024 objects before what changed is unknown, and a burst of status writes
// (each names its object) comes close to that.
const maxNamed = 1024

// pairwiseNamed is how many named objects diffNamed compares each input's name with,
// one by one; past it, it looks names up in a map.
const pairwiseNamed = 8

// diff compares in with the table: only the objects named, when named is known (and
// short enough), else every one (diffObjects).
func diff[T any, P versionedPtr[T]](t *table[P], idx map[types.NamespacedName]P, in []P, meta func(P) *metav1.ObjectMeta, mark uint64, known bool, named []types.NamespacedName) (changes, bool) {
	if known && len(named) <= maxNamed {
		return diffNamed(t, idx, in, meta, named)
	}
	return diffObjects(t, idx, in, meta, mark)
}

// diffNamed is diffObjects for the objects named only: the others did not change and
// keep their entries (the objects of earlier inputs, as they are here). A named object
// at the same version but a new address (a status-only update) takes the place of the
// one kept, as in diffObjects, so that the replaced object can be freed.
func diffNamed[T any, P versionedPtr[T]](t *table[P], idx map[types.NamespacedName]P, in []P, meta func(P) *metav1.ObjectMeta, named []types.NamespacedName) (changes, bool) {
	var ch changes
	if len(named) == 0 {
		return ch, true
	}
	named = slices.Compact(slices.SortedFunc(slices.Values(named), compareKeys))
	found := findNamed(in, meta, named)
	for j, key := range named {
		e, p := t.byKey[key], found[j]
		switch {
		case p == nil && e == nil:
		case p == nil:
			delete(t.byKey, key)
			ch.keys = append(ch.keys, key)
		default:
			m := meta(p)
			v, ok := metaVersion(m.UID, m.ResourceVersion, m.Generation, false)
			if !ok {
				return ch, false
			}
			if e != nil && e.version == v {
				if e.obj != p {
					e.obj, idx[key], ch.moved = p, p, true
					if e.objRef != nil {
						*e.objRef = p
					}
				}
				continue
			}
			if e == nil {
				e = &tracked[P]{key: key}
				t.byKey[key] = e
			}
			e.obj, e.version = p, v
			ch.keys = append(ch.keys, key)
		}
	}
	return ch, true // keys in named's order: sorted, each once
}

// findNamed finds the objects named (sorted, without duplicates) in one scan of in:
// found[j] is named[j]'s object, nil when in has none.
func findNamed[P any](in []P, meta func(P) *metav1.ObjectMeta, named []types.NamespacedName) []P {
	found := make([]P, len(named))
	if len(named) <= pairwiseNamed {
		for _, p := range in {
			m := meta(p)
			for j, key := range named {
				if m.Name == key.Name && m.Namespace == key.Namespace {
					found[j] = p
				}
			}
		}
		return found
	}
	at := make(map[types.NamespacedName]int, len(named))
	for j, key := range named {
		at[key] = j
	}
	for _, p := range in {
		m := meta(p)
		if j, ok := at[types.NamespacedName{Namespace: m.Namespace, Name: m.Name}]; ok {
			found[j] = p
		}
	}
	return found
}

// reposition prepares the entries by input position: those of the previous compile
// when in is the same slice (a guess, checked against each object's key), else none.
func reposition[T any, P versionedPtr[T]](t *table[P], in []P) {
	if len(in) > 0 && len(in) == len(t.pos) && t.base == &in[0] {
		return
	}
	t.pos = make([]*tracked[P], len(in))
	var base *P
	if len(in) > 0 {
		base = &in[0]
	}
	t.base = base
}

func routeMeta(r *gwv1.HTTPRoute) *metav1.ObjectMeta      { return &r.ObjectMeta }
func rtoMeta(o *gatewayv1.RouteOption) *metav1.ObjectMeta { return &o.ObjectMeta }

func compareKeys(a, b types.NamespacedName) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// apply brings the index's map and sorted list of one kind up to date with the table.
func apply[P any](t *table[P], byKey map[types.NamespacedName]P, sorted []P, ch changes) []P {
	byEntryKey := func(e *tracked[P], key types.NamespacedName) int { return compareKeys(e.key, key) }
	for _, key := range ch.keys {
		i, found := slices.BinarySearchFunc(t.sorted, key, byEntryKey)
		e := t.byKey[key]
		switch {
		case e == nil:
			delete(byKey, key)
			if found {
				t.sorted, sorted = slices.Delete(t.sorted, i, i+1), slices.Delete(sorted, i, i+1)
			}
		case found:
			t.sorted[i], byKey[key], sorted[i] = e, e.obj, e.obj
		default:
			byKey[key] = e.obj
			t.sorted, sorted = slices.Insert(t.sorted, i, e), slices.Insert(sorted, i, e.obj)
		}
	}
	if ch.moved {
		for i, e := range t.sorted {
			sorted[i] = e.obj
		}
	}
	return sorted
}

// track records where the compile of an object keeps it (nil: it has none).
func track[P any](t *table[P], key types.NamespacedName, ref *P) {
	if e := t.byKey[key]; e != nil {
		e.objRef = ref
	}
}

// delta is what one incremental compile changed.
type delta struct {
	// routes are the routes to compile again, rtos the RouteOptions whose status to
	// compute again.
	routes, rtos map[types.NamespacedName]bool
	// replaced are the route compiles no longer in use, added the new ones.
	replaced map[*routeIR]bool
	added    []*routeIR
}

// deltaLimit is how many changed routes and RouteOptions an incremental compile takes.
func deltaLimit(in *Inputs) int {
	return 16 + (len(in.HTTPRoutes)+len(in.RouteOptions))/32
}

// compileDelta compiles in starting from the previous compile, when only a few
// HTTPRoutes and RouteOptions changed. It reports false when it cannot; the caller
// then compiles everything.
func (k *Compiler) compileDelta(in *Inputs) (Result, bool) {
	c := k.prev
	k.prev = nil
	if c == nil {
		return Result{}, false
	}
	env := buildEnvIndex(in)
	if environment(in, env) != c.env || !sameEnvironment(c.idx, env) {
		return Result{}, false
	}
	k.mark++
	var hintedRoutes, hintedRTOs []types.NamespacedName
	if ch := in.Changed; ch != nil {
		hintedRoutes, hintedRTOs = ch.HTTPRoutes, ch.RouteOptions
	}
	routes, ok := diff(k.routeTable, c.idx.routes, in.HTTPRoutes, routeMeta, k.mark, in.Changed != nil, hintedRoutes)
	if !ok {
		return Result{}, false
	}
	rtos, ok := diff(k.rtoTable, c.idx.rtos, in.RouteOptions, rtoMeta, k.mark, in.Changed != nil, hintedRTOs)
	if !ok || len(routes.keys)+len(rtos.keys) > deltaLimit(in) {
		return Result{}, false
	}
	c.in = in
	c.adoptEnvironment(env)
	c.idx.sortedRoutes = apply(k.routeTable, c.idx.routes, c.idx.sortedRoutes, routes)
	c.idx.sortedRTOs = apply(k.rtoTable, c.idx.rtos, c.idx.sortedRTOs, rtos)
	d := &delta{routes: map[types.NamespacedName]bool{}, rtos: map[types.NamespacedName]bool{}, replaced: map[*routeIR]bool{}}
	for _, key := range routes.keys {
		d.routes[key] = true
		for _, opt := range c.targetedBy[key] {
			d.rtos[opt.key] = true
		}
	}
	c.applyRouteOptions(rtos.keys, d)
	c.applyRoutes(d)
	k.track(c, rtos.keys, d)
	if len(d.replaced) > 0 || len(d.added) > 0 {
		for _, gw := range c.relayout(d) {
			c.snapshots[gw.key], c.encoded[gw.key] = c.buildSnapshot(gw)
		}
	}
	res := c.deltaResult(k, d)
	k.prev = c
	k.deltas++
	return res, true
}

// track records in the tables where the compiles of the changed objects keep them.
func (k *Compiler) track(c *compiler, rtos []types.NamespacedName, d *delta) {
	for _, key := range rtos {
		var ref **gatewayv1.RouteOption
		if ir := c.rtos[key]; ir != nil {
			ref = &ir.obj
		}
		track(k.rtoTable, key, ref)
	}
	for key := range d.routes {
		var ref **gwv1.HTTPRoute
		if ir := c.routes[key]; ir != nil {
			ref = &ir.obj
		}
		track(k.routeTable, key, ref)
	}
}

// adoptEnvironment points the compiled objects of the environment (unchanged) at the
// new inputs.
func (c *compiler) adoptEnvironment(env *index) {
	env.routes, env.sortedRoutes, env.rtos, env.sortedRTOs = c.idx.routes, c.idx.sortedRoutes, c.idx.rtos, c.idx.sortedRTOs
	c.idx = env
	for _, gw := range c.gateways {
		gw.obj = env.gateways[gw.key]
		for _, l := range gw.listeners {
			l.spec = &gw.obj.Spec.Listeners[l.index]
		}
	}
	for key, u := range c.upstreams {
		u.obj = env.upstreams[key]
	}
	for key, r := range c.rlcs {
		r.obj = env.rlcs[key]
	}
	for key, v := range c.vhos {
		v.obj = env.vhos[key]
		v.state.obj = v.obj
	}
	c.jwtCache = map[jwtKey]*effectiveJwt{}
}

// applyRouteOptions compiles the changed RouteOptions and marks the routes they may
// apply to, before and after the change.
func (c *compiler) applyRouteOptions(keys []types.NamespacedName, d *delta) {
	for _, key := range keys {
		d.rtos[key] = true
		for _, rk := range c.extRefBy[key] {
			d.routes[rk] = true
		}
		if old := c.rtos[key]; old != nil {
			for _, rk := range old.targets {
				d.routes[rk] = true
				c.targetedBy[rk] = slices.DeleteFunc(slices.Clone(c.targetedBy[rk]), func(o *rtoIR) bool { return o == old })
			}
			delete(c.cache.rtos, old.uid)
			delete(c.rtos, key)
		}
		o := c.idx.rtos[key]
		if o == nil {
			continue
		}
		ir := c.cachedRTO(o)
		c.rtos[key] = ir
		for _, rk := range ir.targets {
			d.routes[rk] = true
			c.targetedBy[rk] = append(c.targetedBy[rk], ir)
		}
	}
}

// routeOptionsOf are the RouteOptions targeting a route of ours, oldest first.
func (c *compiler) routeOptionsOf(key types.NamespacedName) []*rtoIR {
	list := c.targetedBy[key]
	if len(list) == 0 {
		return nil
	}
	list = slices.Clone(list)
	if len(list) > 1 {
		slices.SortFunc(list, func(a, b *rtoIR) int { return olderFirst(a.obj, b.obj) })
		list = slices.Compact(list)
	}
	return list
}

// applyRoutes compiles the marked routes again (reusing those whose cache key did not
// change) and marks the RouteOptions whose status may change.
func (c *compiler) applyRoutes(d *delta) {
	for _, key := range slices.SortedFunc(maps.Keys(d.routes), compareKeys) {
		old := c.routes[key]
		var ir *routeIR
		delete(c.rtoByRoute, key)
		if r := c.idx.routes[key]; c.routeIsOurs(r) {
			if list := c.routeOptionsOf(key); list != nil {
				c.rtoByRoute[key] = list
			}
			ir = c.compileRoute(r)
		}
		if ir == old {
			continue
		}
		for _, opt := range c.targetedBy[key] {
			d.rtos[opt.key] = true
		}
		if old != nil {
			d.replaced[old] = true
			c.dropExtRefs(old, d)
			delete(c.routes, key)
		}
		if ir != nil {
			d.added = append(d.added, ir)
			c.routes[key] = ir
			c.addExtRefs(ir)
			for _, rk := range ir.extRefKeys {
				d.rtos[rk] = true
			}
		}
	}
}

// addExtRefs records the route under the RouteOptions its ExtensionRef filters name.
func (c *compiler) addExtRefs(ir *routeIR) {
	for _, key := range ir.extRefKeys {
		c.extRefBy[key] = append(c.extRefBy[key], ir.key)
	}
}

func (c *compiler) dropExtRefs(ir *routeIR, d *delta) {
	for _, key := range ir.extRefKeys {
		d.rtos[key] = true
		list := slices.DeleteFunc(slices.Clone(c.extRefBy[key]), func(k types.NamespacedName) bool { return k == ir.key })
		if len(list) == 0 {
			delete(c.extRefBy, key)
		} else {
			c.extRefBy[key] = list
		}
	}
}

// relayout takes the replaced routes off the listeners and puts the added ones on. It
// returns the Gateways whose snapshot changes.
func (c *compiler) relayout(d *delta) []*gatewayIR {
	added := map[*listenerIR][]*attachment{}
	slices.SortFunc(d.added, func(a, b *routeIR) int { return compareKeys(a.key, b.key) })
	for _, ir := range d.added {
		for _, a := range ir.attachments {
			if gw := c.ourGateway(a.gw); gw != nil && gw.byName[a.listener] != nil {
				l := gw.byName[a.listener]
				added[l] = addAttachment(added[l], ir, a.hostnames)
			}
		}
	}
	var out []*gatewayIR
	for _, gw := range c.gateways {
		changed := false
		for _, l := range gw.listeners {
			changed = relayoutListener(l, d.replaced, added[l]) || changed
		}
		if changed {
			out = append(out, gw)
		}
	}
	return out
}

// relayoutListener replaces the attachments (and routes of each domain) of the
// replaced routes with the added ones, and reports whether a domain changed.
func relayoutListener(l *listenerIR, replaced map[*routeIR]bool, added []*attachment) bool {
	touched := map[string]bool{}
	l.attachments = slices.DeleteFunc(l.attachments, func(a *attachment) bool {
		if replaced[a.route] {
			for _, h := range a.hostnames {
				touched[h] = true
			}
			return true
		}
		return false
	})
	l.attachments = append(l.attachments, added...)
	byDomain := map[string][]flatRoute{}
	for _, a := range added {
		appendFlat(byDomain, a, "")
		for _, h := range a.hostnames {
			touched[h] = true
		}
	}
	if l.vhosts == nil {
		return false
	}
	for domain := range touched {
		st := l.vhosts[domain]
		if st == nil {
			st = &vhostState{}
			l.vhosts[domain] = st
		}
		st.flat = slices.DeleteFunc(st.flat, func(f flatRoute) bool { return replaced[f.route] })
		fresh := byDomain[domain]
		slices.SortFunc(fresh, comparePrecedence)
		st.flat, st.vh = mergeFlat(st.flat, fresh), nil
		if len(st.flat) == 0 {
			delete(l.vhosts, domain)
		}
	}
	return len(touched) > 0
}

// mergeFlat merges two lists in precedence order.
func mergeFlat(a, b []flatRoute) []flatRoute {
	if len(b) == 0 {
		return a
	}
	out := make([]flatRoute, 0, len(a)+len(b))
	for _, f := range b {
		i, _ := slices.BinarySearchFunc(a, f, comparePrecedence)
		out = append(append(out, a[:i]...), f)
		a = a[i:]
	}
	return append(out, a...)
}

// deltaResult is the result of an incremental compile: the statuses of what changed
// computed again, the others as before.
func (c *compiler) deltaResult(k *Compiler, d *delta) Result {
	c.res = newResult()
	c.writeEnvironmentStatuses()
	for _, gw := range c.gateways {
		c.res.Gateways[gw.key] = gw.status()
	}
	for key, snap := range c.snapshots {
		c.res.Snapshots[key], c.res.Encoded[key] = snap, c.encoded[key]
	}
	routeDecided, rtoDecided := newDecisionEdit(k.routeDecided), newDecisionEdit(k.rtoDecided)
	for key := range d.routes {
		if ir := c.routes[key]; ir != nil {
			if ir.statuses == nil {
				ir.statuses = c.routeStatus(ir)
			}
			k.routeOut.set(key, ir.statuses)
			routeDecided.set(key, RouteStatusDecision(ir.statuses))
		} else {
			k.routeOut.remove(key)
			routeDecided.remove(key)
		}
	}
	for key := range d.rtos {
		k.rtoOut.remove(key)
		var st *gatewayv1.PolicyStatus
		if o := c.idx.rtos[key]; o != nil {
			st = c.routeOptionStatus(o, c.extRefRoutesOf(c.rtos[key]))
		}
		if st != nil {
			k.rtoOut.set(key, *st)
			rtoDecided.set(key, PolicyStatusDecision(*st))
		} else {
			rtoDecided.remove(key)
		}
	}
	c.res.HTTPRoutes, c.res.RouteOptions = k.routeOut.result(), k.rtoOut.result()
	k.routeDecided, k.rtoDecided = routeDecided.done(), rtoDecided.done()
	c.res.HTTPRouteDecisions, c.res.RouteOptionDecisions = k.routeDecided, k.rtoDecided
	c.res.Recomputed = &Recomputed{HTTPRoutes: d.routes, RouteOptions: d.rtos}
	return c.res
}

// extRefRoutesOf lists the routes whose ExtensionRef filters name opt, in route order.
func (c *compiler) extRefRoutesOf(opt *rtoIR) []*routeIR {
	keys := slices.SortedFunc(slices.Values(c.extRefBy[opt.key]), compareKeys)
	var out []*routeIR
	for _, key := range slices.Compact(keys) {
		ir := c.routes[key]
		if ir != nil && slices.ContainsFunc(ir.rules, func(r *ruleIR) bool { return slices.Contains(r.extRefs, opt) }) {
			out = append(out, ir)
		}
	}
	return out
}

// newResult is an empty result sized for the routes and RouteOptions.
func newResult() Result {
	return Result{
		Snapshots:          map[types.NamespacedName]*snapshotv1.Snapshot{},
		Encoded:            map[types.NamespacedName][]byte{},
		GatewayClasses:     map[string][]metav1.Condition{},
		Gateways:           map[types.NamespacedName]gwv1.GatewayStatus{},
		VirtualHostOptions: map[types.NamespacedName]gatewayv1.PolicyStatus{},
		Upstreams:          map[types.NamespacedName]gloov1.UpstreamStatus{},
		RateLimitConfigs:   map[types.NamespacedName]ratelimitv1alpha1.RateLimitConfigStatus{},
	}
}

// sameEnvironment reports whether the objects of the environment are those of the
// previous compile, or read the same: versions alone do not prove it when objects are
// given again with the same versions but other content. Of an object identified by its
// generation only the spec is compared: its status is the controller's own output.
func sameEnvironment(prev, next *index) bool {
	return sameObjects(prev.classes, next.classes, sameSpec[*gwv1.GatewayClass]) &&
		sameObjects(prev.gateways, next.gateways, sameSpec[*gwv1.Gateway]) &&
		sameObjects(prev.services, next.services, sameSpec[*corev1.Service]) &&
		sameObjects(prev.secrets, next.secrets, sameSpec[*corev1.Secret]) &&
		sameObjects(prev.upstreams, next.upstreams, sameSpec[*gloov1.Upstream]) &&
		sameObjects(prev.vhos, next.vhos, sameSpec[*gatewayv1.VirtualHostOption]) &&
		sameObjects(prev.rlcs, next.rlcs, sameSpec[*ratelimitv1alpha1.RateLimitConfig]) &&
		sameObjects(prev.namespaces, next.namespaces, sameSpec[*corev1.Namespace]) &&
		sameGrants(prev.grants, next.grants)
}

// sameSpec reports whether a and b read the same: the whole objects for the kinds
// whose metadata the compiler reads, else the specs (and generations).
func sameSpec[P interface {
	versioned
	comparable
}](a, b P) bool {
	if a == b {
		return true
	}
	if readsMetadata(a) || a.GetGeneration() == 0 || a.GetGeneration() != b.GetGeneration() {
		return equality.Semantic.DeepEqual(a, b)
	}
	return equality.Semantic.DeepEqual(specOf(a), specOf(b))
}

// specOf returns the spec of an object identified by its generation.
func specOf(o versioned) any {
	switch o := o.(type) {
	case *gwv1.GatewayClass:
		return &o.Spec
	case *gwv1.Gateway:
		return &o.Spec
	case *gloov1.Upstream:
		return &o.Spec
	case *gatewayv1.VirtualHostOption:
		return &o.Spec
	case *gwv1.ReferenceGrant:
		return &o.Spec
	}
	return o
}

func sameObjects[K comparable, P comparable](prev, next map[K]P, same func(a, b P) bool) bool {
	if len(prev) != len(next) {
		return false
	}
	for key, p := range next {
		if q, ok := prev[key]; !ok || !same(q, p) {
			return false
		}
	}
	return true
}

func sameGrants(prev, next map[string][]*gwv1.ReferenceGrant) bool {
	if len(prev) != len(next) {
		return false
	}
	for ns, list := range next {
		if !slices.EqualFunc(prev[ns], list, sameSpec[*gwv1.ReferenceGrant]) {
			return false
		}
	}
	return true
}
