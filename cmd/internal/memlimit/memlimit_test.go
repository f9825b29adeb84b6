package memlimit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := map[string]struct {
		path    string
		want    int64
		wantErr string
	}{
		"a limit":       {path: write("limit", "536870912\n"), want: 512 << 20},
		"no limit":      {path: write("max", "max\n"), want: 0},
		"no cgroup v2":  {path: filepath.Join(dir, "missing"), want: 0},
		"not a number":  {path: write("lots", "lots\n"), wantErr: `holds "lots"`},
		"zero is wrong": {path: write("zero", "0\n"), wantErr: `holds "0"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := read(tc.path)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
