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
