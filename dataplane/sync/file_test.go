package sync

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
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
		wantReason  string // the error's reason in claimgate_proxy_snapshot_file_errors_total
		wantVersion string // "" means: unchanged from the previous step
	}{
		{name: "missing file", wantErr: "reading snapshot file", wantReason: "read"},
		{name: "yaml", content: "gatewayNamespace: ns\ngatewayName: gw\nlisteners:\n- name: http\n  port: 8080\n  protocol: HTTP\n", wantVersion: "computed"},
		{name: "json with explicit version", content: `{"version":"v2","gatewayName":"gw","listeners":[{"port":8081,"protocol":"HTTP"}]}`, wantVersion: "v2"},
		{name: "rejected by the applier keeps v2", content: `{"version":"v3","gatewayName":"gw"}`, wantErr: "version v3 rejected: snapshot has no listener", wantReason: "apply"},
		{name: "undecodable keeps v2", content: `{"listeners": 3}`, wantErr: "decoding snapshot", wantReason: "decode"},
		{name: "unknown field keeps v2", content: `{"listenrs": []}`, wantErr: "decoding snapshot", wantReason: "decode"},
	}
	want := map[string]float64{"read": 0, "decode": 0, "apply": 0}
	for _, st := range steps {
		if st.content != "" {
			require.NoError(t, os.WriteFile(path, []byte(st.content), 0o600), st.name)
		}
		err := f.Load()
		if st.wantReason != "" {
			want[st.wantReason]++
		}
		require.Equal(t, want, fileErrors(t, f), st.name)
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

// fileErrors returns claimgate_proxy_snapshot_file_errors_total by reason, as exported by
// a registry holding f.
func fileErrors(t *testing.T, f *FileSource) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(f))
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 1)
	require.Equal(t, "claimgate_proxy_snapshot_file_errors_total", families[0].GetName())
	out := map[string]float64{}
	for _, m := range families[0].GetMetric() {
		out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	return out
}
