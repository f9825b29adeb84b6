package sync

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
)

func TestFileSourceReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshot.yaml")
	a := &listenerApplier{}
	f := NewFileSource(FileConfig{Path: path, Applier: a, Logger: logr.Discard(), Interval: 10 * time.Millisecond})

	steps := []struct {
		name        string
		content     string
		wantErr     string
		wantVersion string // "" means: unchanged from the previous step
	}{
		{name: "missing file", wantErr: "reading snapshot file"},
		{name: "yaml", content: "gatewayNamespace: ns\ngatewayName: gw\nlisteners:\n- name: http\n  port: 8080\n  protocol: HTTP\n", wantVersion: "computed"},
		{name: "json with explicit version", content: `{"version":"v2","gatewayName":"gw","listeners":[{"port":8081,"protocol":"HTTP"}]}`, wantVersion: "v2"},
		{name: "rejected by the applier keeps v2", content: `{"version":"v3","gatewayName":"gw"}`, wantErr: "version v3 rejected: snapshot has no listener"},
		{name: "undecodable keeps v2", content: `{"listeners": 3}`, wantErr: "decoding snapshot"},
		{name: "unknown field keeps v2", content: `{"listenrs": []}`, wantErr: "decoding snapshot"},
	}
	for _, st := range steps {
		if st.content != "" {
			require.NoError(t, os.WriteFile(path, []byte(st.content), 0o600), st.name)
		}
		err := f.Load()
		if st.wantErr != "" {
			require.ErrorContains(t, err, st.wantErr, st.name)
			continue
		}
		require.NoError(t, err, st.name)
		if st.wantVersion == "computed" {
			require.Len(t, a.Version(), 64, st.name)
		} else {
			require.Equal(t, st.wantVersion, a.Version(), st.name)
		}
	}
	require.Equal(t, "v2", a.Version())

	// Start picks up a change of content on its own.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Start(ctx) }()
	require.NoError(t, os.WriteFile(path, []byte(`{"version":"v4","listeners":[{"port":1}]}`), 0o600))
	require.Eventually(t, func() bool { return a.Version() == "v4" }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
