package sync

import (
	"testing"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// FuzzDecode: any file content either decodes into a snapshot with a version or fails
// with an error; it never panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"gatewayName":"gw","listeners":[{"port":8080,"protocol":"HTTP"}]}`))
	f.Add([]byte("listeners:\n- port: 1\n  virtualHosts: [{domains: ['*']}]\n"))
	f.Add([]byte(`{"upstreams":[{"name":"u","llm":{"provider":"OPENAI","endpoint":{"caPem":"AAAA"}}}]}`))
	f.Add([]byte("- a\n- b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		want, err := snapshotv1.ComputeVersion(s)
		if err != nil {
			t.Fatalf("decoded snapshot cannot be encoded: %v", err)
		}
		if s.GetVersion() == "" || (s.GetVersion() != want && !hasExplicitVersion(data)) {
			t.Fatalf("version %q, content hash %q", s.GetVersion(), want)
		}
	})
}

// hasExplicitVersion is a loose check that the input may carry its own version.
func hasExplicitVersion(data []byte) bool {
	for i := 0; i+7 <= len(data); i++ {
		if string(data[i:i+7]) == "version" {
			return true
		}
	}
	return false
}
