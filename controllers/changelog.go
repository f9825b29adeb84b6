package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/claimgate/claimgate/controllers/compile"
)

// maxLoggedChanges bounds the names a changeLog keeps; past it, what changed is unknown
// and the next compile compares every object (as after a resync of the cache).
const maxLoggedChanges = 1024

// changeLog collects the HTTPRoutes and RouteOptions the watch events named since the
// last compile, for compile.Inputs.Changed: the compiler then compares only those with
// what it compiled. It starts unknown (the first compile compares everything). An event
// is logged before its reconciliation is queued, and the log is taken before the cache
// is read, so a compile never misses a change that its inputs hold: an event logged
// after the take is in the next compile's log.
type changeLog struct {
	mu           sync.Mutex
	routes, rtos map[types.NamespacedName]struct{}
	unknown      bool
}

func newChangeLog() *changeLog { return &changeLog{unknown: true} }

// add logs an event of an HTTPRoute (route) or a RouteOption. It reports whether the
// log just forgot what changed, holding more than maxLoggedChanges names.
func (l *changeLog) add(route bool, key types.NamespacedName) (forgot bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unknown {
		return false
	}
	m := &l.rtos
	if route {
		m = &l.routes
	}
	if *m == nil {
		*m = map[types.NamespacedName]struct{}{}
	}
	(*m)[key] = struct{}{}
	if len(l.routes)+len(l.rtos) > maxLoggedChanges {
		l.forget()
		return true
	}
	return false
}

// take returns what changed since the last take (nil: unknown) and starts a new log.
func (l *changeLog) take() *compile.Changed {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ch *compile.Changed
	if !l.unknown {
		ch = &compile.Changed{HTTPRoutes: keysOf(l.routes), RouteOptions: keysOf(l.rtos)}
	}
	l.routes, l.rtos, l.unknown = nil, nil, false
	return ch
}

// lost makes what changed unknown: a reconciliation that took the log and did not
// compile.
func (l *changeLog) lost() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forget()
}

func (l *changeLog) forget() { l.routes, l.rtos, l.unknown = nil, nil, true }

func keysOf(m map[types.NamespacedName]struct{}) []types.NamespacedName {
	out := make([]types.NamespacedName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
