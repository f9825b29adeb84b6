package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// setVersion stores the content hash of snap in snap.Version: the same value as
// snapshotv1.SetVersion, computed without first copying the snapshot (which, at 10,000
// routes, costs as much as encoding it).
func setVersion(snap *snapshotv1.Snapshot) error {
	snap.Version = ""
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encoding snapshot of Gateway %s/%s: %w", snap.GatewayNamespace, snap.GatewayName, err)
	}
	sum := sha256.Sum256(b)
	snap.Version = hex.EncodeToString(sum[:])
	return nil
}
