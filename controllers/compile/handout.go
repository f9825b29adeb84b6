package compile

import (
	"k8s.io/apimachinery/pkg/types"
)

// handout keeps the statuses of one kind handed out in results, which later results
// share while they are unchanged. The statuses handed out are the compiler's own (a
// route's is kept with its compile and reused while the route does not change), not
// copies: results are read-only, and a caller that changed a status would change the
// later results that share it. The results' maps are Statuses: a result copies only
// the shards where a status changed.
type handout[V any] struct {
	shared Statuses[V]
	// edit holds the changes since the last result; nil when there are none.
	edit *statusEdit[V]
}

// set hands out st for key.
func (h *handout[V]) set(key types.NamespacedName, st V) { h.editing().set(key, st) }

// remove stops handing out a status for key.
func (h *handout[V]) remove(key types.NamespacedName) { h.editing().remove(key) }

// editing returns the edit of the next result's statuses.
func (h *handout[V]) editing() *statusEdit[V] {
	if h.edit == nil {
		h.edit = newStatusEdit(h.shared)
	}
	return h.edit
}

// result returns the statuses handed out, sharing with the previous result the shards
// where none changed.
func (h *handout[V]) result() Statuses[V] {
	if h.edit != nil {
		h.shared, h.edit = h.edit.done(), nil
	}
	return h.shared
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
