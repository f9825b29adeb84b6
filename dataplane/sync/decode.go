package sync

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Decode reads a snapshot in protobuf's JSON form, written as JSON or YAML. When its
// version is empty it is set to the content hash.
func Decode(data []byte) (*snapshotv1.Snapshot, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("converting YAML to JSON: %w", err)
	}
	s := &snapshotv1.Snapshot{}
	if err := protojson.Unmarshal(js, s); err != nil {
		return nil, fmt.Errorf("decoding snapshot: %w", err)
	}
	if s.GetVersion() == "" {
		if err := snapshotv1.SetVersion(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}
