// Package snapshotv1 is the contract between claimgate's controller and its proxies: the
// compiled configuration of one Gateway (Snapshot) and the gRPC stream that delivers it
// (SnapshotService). snapshot.proto documents every message and field; the .pb.go files
// are generated from it by `make generate`.
package snapshotv1

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// ComputeVersion returns the content hash of s: the hex SHA-256 of its deterministic
// protobuf encoding with the version field left empty. s is not modified.
func ComputeVersion(s *Snapshot) (string, error) {
	c := proto.CloneOf(s)
	c.Version = ""
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding snapshot of %s/%s: %w", s.GetGatewayNamespace(), s.GetGatewayName(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// SetVersion stores the content hash of s in s.Version.
func SetVersion(s *Snapshot) error {
	v, err := ComputeVersion(s)
	if err != nil {
		return err
	}
	s.Version = v
	return nil
}
