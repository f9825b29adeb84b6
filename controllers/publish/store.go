package publish

import (
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Store holds the current snapshot of every Gateway and wakes the streams of a Gateway
// when its snapshot changes. It is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	entries map[types.NamespacedName]*entry
}

// entry is one Gateway's snapshot, its encoding (nil: encode it when sending) and the
// channel closed when it is replaced.
type entry struct {
	snap    *snapshotv1.Snapshot
	encoded []byte
	changed chan struct{}
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{entries: map[types.NamespacedName]*entry{}}
}

// Set makes snap the current snapshot of gw. Snapshots must not be modified once set.
// It reports whether the version changed; an equal version wakes nobody.
func (s *Store) Set(gw types.NamespacedName, snap *snapshotv1.Snapshot) bool {
	return s.SetEncoded(gw, snap, nil)
}

// SetEncoded is Set with snap's protobuf encoding (version included), which streams
// send as it is; nil encodes snap when sending.
func (s *Store) SetEncoded(gw types.NamespacedName, snap *snapshotv1.Snapshot, encoded []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(gw)
	if e.snap != nil && e.snap.GetVersion() == snap.GetVersion() {
		return false
	}
	e.snap, e.encoded = snap, encoded
	close(e.changed)
	e.changed = make(chan struct{})
	return true
}

// Delete forgets gw's snapshot: its streams stay open but receive nothing more until a
// snapshot is set again.
func (s *Store) Delete(gw types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[gw]
	if !ok || e.snap == nil {
		return
	}
	e.snap, e.encoded = nil, nil
	close(e.changed)
	e.changed = make(chan struct{})
}

// Get returns gw's current snapshot, or nil.
func (s *Store) Get(gw types.NamespacedName) *snapshotv1.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[gw]; ok {
		return e.snap
	}
	return nil
}

// Watch returns gw's current snapshot (nil when none) and a channel closed when it changes.
func (s *Store) Watch(gw types.NamespacedName) (*snapshotv1.Snapshot, <-chan struct{}) {
	snap, _, changed := s.watch(gw)
	return snap, changed
}

// watch is Watch with the snapshot's encoding, nil when it was set without.
func (s *Store) watch(gw types.NamespacedName) (*snapshotv1.Snapshot, []byte, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(gw)
	return e.snap, e.encoded, e.changed
}

// Gateways returns the Gateways that have a snapshot, sorted.
func (s *Store) Gateways() []types.NamespacedName {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]types.NamespacedName, 0, len(s.entries))
	for gw, e := range s.entries {
		if e.snap != nil {
			out = append(out, gw)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// entry returns gw's entry, creating it. s.mu must be held.
func (s *Store) entry(gw types.NamespacedName) *entry {
	e, ok := s.entries[gw]
	if !ok {
		e = &entry{changed: make(chan struct{})}
		s.entries[gw] = e
	}
	return e
}
