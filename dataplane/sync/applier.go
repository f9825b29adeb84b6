package sync

import (
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Applier validates, precompiles and atomically installs a snapshot. The proxy implements it.
type Applier interface {
	// Apply installs s, or returns why it was rejected; on error the previous snapshot
	// keeps serving. The error text must hold no secret value.
	Apply(s *snapshotv1.Snapshot) error
	// Version is the version being served, empty before the first snapshot.
	Version() string
}

// LayoutApplier is an Applier that also installs a snapshot from its encoding and keeps
// the encoding of the one it serves: a Client whose Applier is one accepts patches.
type LayoutApplier interface {
	Applier
	// ApplyLayout installs the snapshot encoded as enc, read as l, as Apply does. enc is
	// not modified afterwards.
	ApplyLayout(l *snapshotv1.Layout, enc []byte) error
	// Encoding is the encoding of the snapshot being served (Version's), nil when none.
	Encoding() []byte
}
