package compile

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// arena hands out slices copied into large shared blocks, so that copies made together
// lie together in memory.
type arena[T any] struct{ buf []T }

const arenaBlock = 4096

// clone copies s (nil stays nil) into the arena.
func (a *arena[T]) clone(s []T) []T {
	if s == nil {
		return nil
	}
	if cap(a.buf)-len(a.buf) < len(s) {
		a.buf = make([]T, 0, max(arenaBlock, len(s)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, s...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// statusArenas hold copies of statuses down to their conditions.
type statusArenas struct {
	conds     arena[metav1.Condition]
	parents   arena[gwv1.RouteParentStatus]
	ancestors arena[gatewayv1.PolicyAncestorStatus]
	options   arena[gatewayv1.OptionStatus]
}

func (a *statusArenas) parentStatuses(in []gwv1.RouteParentStatus) []gwv1.RouteParentStatus {
	out := a.parents.clone(in)
	for i := range out {
		out[i].Conditions = a.conds.clone(out[i].Conditions)
	}
	return out
}

func (a *statusArenas) policyStatus(in gatewayv1.PolicyStatus) gatewayv1.PolicyStatus {
	out := gatewayv1.PolicyStatus{Conditions: a.conds.clone(in.Conditions), Ancestors: a.ancestors.clone(in.Ancestors), Options: a.options.clone(in.Options)}
	for i := range out.Ancestors {
		out.Ancestors[i].Conditions = a.conds.clone(out.Ancestors[i].Conditions)
	}
	return out
}

// handout keeps the statuses of one kind handed out in results, which later results
// share while they are unchanged, with a private copy of each: a caller that changes
// a result is caught by comparing the two (a linear scan, as both copies lie in
// arenas in slot order) and gets a fresh copy in the next result. The results' maps
// are Statuses: a result copies only the shards where a status changed.
type handout[V any] struct {
	slots  []handoutSlot[V]
	slotOf map[types.NamespacedName]int
	shared Statuses[V]
	// edit holds the changes since the last result; nil when there are none.
	edit *statusEdit[V]
	dead int

	handed, mirror statusArenas
	copyIn         func(*statusArenas, V) V
	same           func(a, b V) bool
}

type handoutSlot[V any] struct {
	key            types.NamespacedName
	handed, mirror V
	live           bool
}

func newHandout[V any](statuses map[types.NamespacedName]V, copyIn func(*statusArenas, V) V, same func(a, b V) bool) *handout[V] {
	h := &handout[V]{slotOf: make(map[types.NamespacedName]int, len(statuses)), copyIn: copyIn, same: same}
	h.slots = make([]handoutSlot[V], 0, len(statuses))
	handed := make(map[types.NamespacedName]V, len(statuses))
	for key, st := range statuses {
		s := handoutSlot[V]{key: key, handed: h.copyIn(&h.handed, st), mirror: h.copyIn(&h.mirror, st), live: true}
		h.slotOf[key] = len(h.slots)
		h.slots = append(h.slots, s)
		handed[key] = s.handed
	}
	h.shared = statusesOf(handed)
	return h
}

// set hands out a copy of st for key.
func (h *handout[V]) set(key types.NamespacedName, st V) {
	h.remove(key)
	s := handoutSlot[V]{key: key, handed: h.copyIn(&h.handed, st), mirror: h.copyIn(&h.mirror, st), live: true}
	h.slotOf[key] = len(h.slots)
	h.slots = append(h.slots, s)
	h.editing().set(key, s.handed)
}

// remove stops handing out a status for key.
func (h *handout[V]) remove(key types.NamespacedName) {
	if i, ok := h.slotOf[key]; ok {
		h.slots[i].live = false
		var zero V
		h.slots[i].handed, h.slots[i].mirror = zero, zero
		delete(h.slotOf, key)
		h.editing().remove(key)
		h.dead++
	}
}

// editing returns the edit of the next result's statuses.
func (h *handout[V]) editing() *statusEdit[V] {
	if h.edit == nil {
		h.edit = newStatusEdit(h.shared)
	}
	return h.edit
}

// result checks the statuses handed out and returns them, sharing with the previous
// result the shards where none changed.
func (h *handout[V]) result() Statuses[V] {
	for i := range h.slots {
		s := &h.slots[i]
		if s.live && !h.same(s.handed, s.mirror) {
			s.handed = h.copyIn(&h.handed, s.mirror)
			h.editing().set(s.key, s.handed)
		}
	}
	if h.edit != nil {
		h.shared, h.edit = h.edit.done(), nil
	}
	return h.shared
}

// worn reports whether most of the arenas hold statuses no longer handed out.
func (h *handout[V]) worn() bool { return h.dead > len(h.slots)/2+64 }

func newRouteHandout(statuses map[types.NamespacedName][]gwv1.RouteParentStatus) *handout[[]gwv1.RouteParentStatus] {
	return newHandout(statuses, (*statusArenas).parentStatuses, sameParentStatuses)
}

func newRTOHandout(statuses map[types.NamespacedName]gatewayv1.PolicyStatus) *handout[gatewayv1.PolicyStatus] {
	return newHandout(statuses, (*statusArenas).policyStatus, samePolicyStatus)
}

// decisionEdit changes Decisions that were handed out: the first change to a shard
// copies it, and unchanged Decisions are handed out again as they are.
type decisionEdit struct {
	edit *statusEdit[Decision]
}

func newDecisionEdit(d Decisions) decisionEdit { return decisionEdit{edit: newStatusEdit(d.m)} }

// set gives key the Decision d.
func (e decisionEdit) set(key types.NamespacedName, d Decision) {
	if old, ok := e.edit.next[shardOf(key)][key]; ok && old == d {
		return
	}
	e.edit.set(key, d)
}

// remove takes key's Decision away.
func (e decisionEdit) remove(key types.NamespacedName) { e.edit.remove(key) }

// done returns the edited Decisions.
func (e decisionEdit) done() Decisions { return Decisions{e.edit.done()} }
