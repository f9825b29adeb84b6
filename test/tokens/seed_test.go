package tokens_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/testenv"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestSeedCopyIsVerbatim: where the tutorial's original files sit next to the repository
// (../shared/seed), the copy the tests read is byte for byte the same.
func TestSeedCopyIsVerbatim(t *testing.T) {
	original := filepath.Join(testenv.ModuleRoot(), "..", "shared", "seed")
	if _, err := os.Stat(original); err != nil {
		t.Skipf("no original tutorial files at %s", original)
	}
	files := []string{"alice.jwt", "bob.jwt", "public-key.pem"}
	manifests, err := filepath.Glob(filepath.Join(original, "manifests", "*"))
	require.NoError(t, err)
	for _, m := range manifests {
		files = append(files, filepath.Join("manifests", filepath.Base(m)))
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(original, f))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(tokens.SeedDir(), f))
		require.NoError(t, err, "test/testdata/seed lacks %s", f)
		require.Equal(t, string(want), string(got), "test/testdata/seed/%s differs from the tutorial's", f)
	}
}

func TestSeedTokensLoad(t *testing.T) {
	require.Regexp(t, `^eyJ[\w-]+\.[\w-]+\.[\w-]+$`, tokens.Alice(t))
	require.Regexp(t, `^eyJ[\w-]+\.[\w-]+\.[\w-]+$`, tokens.Bob(t))
	require.Contains(t, tokens.PublicKeyPEM(t), "BEGIN PUBLIC KEY")
}
