package publish

import (
	"slices"
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
	// recent are the encodings of the snapshots set before this one, oldest first, at
	// most keptEncodings: the bases patches are written against.
	recent []storedEncoding
	// patches are the patches made to the current snapshot, by base version.
	patches map[string]*snapshotv1.SnapshotPatch
}

// storedEncoding is a snapshot's encoding and its version.
type storedEncoding struct {
	version string
	bytes   []byte
}

// keptEncodings is how many previous encodings of a Gateway's snapshot the store keeps:
// a proxy serving one of them receives a patch. Routes that did not change share their
// bytes between versions in the compiler's output, but each encoding is whole here.
const keptEncodings = 3

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
	if e.encoded != nil {
		// Dropped from the front by moving the rest down: a window resliced forward would
		// keep the encodings before it alive in the array behind it.
		e.recent = append(e.recent, storedEncoding{version: e.snap.GetVersion(), bytes: e.encoded})
		if drop := len(e.recent) - keptEncodings; drop > 0 {
			e.recent = slices.Delete(e.recent, 0, drop)
		}
	}
	e.snap, e.encoded, e.patches = snap, encoded, nil
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
	e.snap, e.encoded, e.recent, e.patches = nil, nil, nil, nil
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

// patch returns the current snapshot of gw, encoded, as a patch against the snapshot
// base when the store still has base's encoding, else whole; encoded is the current
// encoding as watch returned it. Patches are made once per base and kept with the
// snapshot, so the proxies of a Gateway share them.
func (s *Store) patch(gw types.NamespacedName, version string, encoded []byte, base string) (*snapshotv1.SnapshotPatch, error) {
	s.mu.Lock()
	e := s.entry(gw)
	current := e.snap != nil && e.snap.GetVersion() == version
	if p := e.patches[base]; current && p != nil {
		s.mu.Unlock()
		return p, nil
	}
	var from []byte
	for _, r := range e.recent {
		if r.version == base && base != "" {
			from = r.bytes
		}
	}
	s.mu.Unlock()
	if from == nil {
		base = ""
	}
	p, err := snapshotv1.MakePatch(from, base, encoded)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.snap != nil && e.snap.GetVersion() == version {
		if e.patches == nil {
			e.patches = map[string]*snapshotv1.SnapshotPatch{}
		}
		e.patches[base] = p
	}
	return p, nil
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
