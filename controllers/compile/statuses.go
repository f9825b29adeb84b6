package compile

import (
	"iter"
	"maps"

	"k8s.io/apimachinery/pkg/types"
)

// statusShards is how many maps Statuses spreads its objects over.
const statusShards = 64

// Statuses holds one value (a status, a Decision) per object, by namespace/name, as a
// result gives them for one kind. Results share what did not change between them: the
// objects are spread over shards by key, and an incremental compile copies only the
// shards where it changed a value, not the thousands of others. Read-only; the zero
// value holds nothing.
type Statuses[V any] struct {
	shards *[statusShards]map[types.NamespacedName]V
	n      int
}

// Of returns key's value; false when there is none.
func (s Statuses[V]) Of(key types.NamespacedName) (V, bool) {
	if s.shards == nil {
		var zero V
		return zero, false
	}
	v, ok := s.shards[shardOf(key)][key]
	return v, ok
}

// Len is how many objects have a value.
func (s Statuses[V]) Len() int { return s.n }

// All yields every object's key and value, in no particular order.
func (s Statuses[V]) All() iter.Seq2[types.NamespacedName, V] {
	return func(yield func(types.NamespacedName, V) bool) {
		if s.shards == nil {
			return
		}
		for _, m := range s.shards {
			for k, v := range m {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}

// statusesOf spreads m over shards.
func statusesOf[V any](m map[types.NamespacedName]V) Statuses[V] {
	shards := new([statusShards]map[types.NamespacedName]V)
	for i := range shards {
		shards[i] = make(map[types.NamespacedName]V, len(m)/statusShards)
	}
	for k, v := range m {
		shards[shardOf(k)][k] = v
	}
	return Statuses[V]{shards: shards, n: len(m)}
}

// shardOf is key's shard: FNV-1a over namespace, "/" and name, the same in every
// process, so that equal Statuses hold equal shards.
func shardOf(key types.NamespacedName) int {
	const prime = 16777619
	h := uint32(2166136261)
	for i := range len(key.Namespace) {
		h = (h ^ uint32(key.Namespace[i])) * prime
	}
	h = (h ^ '/') * prime
	for i := range len(key.Name) {
		h = (h ^ uint32(key.Name[i])) * prime
	}
	return int(h % statusShards)
}

// statusEdit makes new Statuses from base: a shard is copied before its first change,
// the others are base's.
type statusEdit[V any] struct {
	base   Statuses[V]
	next   *[statusShards]map[types.NamespacedName]V
	copied [statusShards]bool
	n      int
}

func newStatusEdit[V any](base Statuses[V]) *statusEdit[V] {
	if base.shards == nil {
		base = statusesOf[V](nil)
	}
	next := *base.shards
	return &statusEdit[V]{base: base, next: &next, n: base.n}
}

// set gives key the value v.
func (e *statusEdit[V]) set(key types.NamespacedName, v V) {
	m := e.own(shardOf(key))
	if _, ok := m[key]; !ok {
		e.n++
	}
	m[key] = v
}

// remove takes key's value away.
func (e *statusEdit[V]) remove(key types.NamespacedName) {
	i := shardOf(key)
	if _, ok := e.next[i][key]; !ok {
		return
	}
	delete(e.own(i), key)
	e.n--
}

// own returns shard i, copied first if it is still base's.
func (e *statusEdit[V]) own(i int) map[types.NamespacedName]V {
	if !e.copied[i] {
		e.next[i], e.copied[i] = maps.Clone(e.next[i]), true
	}
	return e.next[i]
}

// done returns the edited Statuses: base itself when nothing changed.
func (e *statusEdit[V]) done() Statuses[V] {
	if e.copied == [statusShards]bool{} {
		return e.base
	}
	return Statuses[V]{shards: e.next, n: e.n}
}
