package tokens_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/testenv"
	"github.com/claimgate/claimgate/test/tokens"
)

// The copy in test/testdata/seed is checked against its SHA256SUMS: the sha256 of each of
// the tutorial's original files, in sha256sum's format. When the tutorial changes, copy its
// changed files into test/testdata/seed, then refresh the manifest from the originals, at
// the repository's root:
//
//	(cd ../shared/seed && sha256sum alice.jwt bob.jwt public-key.pem manifests/*) > test/testdata/seed/SHA256SUMS
//
// "sha256sum -c SHA256SUMS" in test/testdata/seed checks the copy by hand.
const seedManifest = "SHA256SUMS"

// TestSeedCopyIsVerbatim: the copy the tests read holds exactly the files of the manifest,
// each with its recorded checksum; where the tutorial's original files sit next to the
// repository (../shared/seed), they hold the manifest's files and checksums too.
func TestSeedCopyIsVerbatim(t *testing.T) {
	want := readManifest(t, filepath.Join(tokens.SeedDir(), seedManifest))
	t.Run("copy", func(t *testing.T) {
		require.Equal(t, want, checksums(t, tokens.SeedDir(), copiedFiles(t, tokens.SeedDir())),
			"test/testdata/seed differs from %s", seedManifest)
	})
	t.Run("originals", func(t *testing.T) {
		original := filepath.Join(testenv.ModuleRoot(), "..", "shared", "seed")
		if _, err := os.Stat(original); err != nil {
			t.Skipf("no original tutorial files at %s; the copy was checked against %s", original, seedManifest)
		}
		files := []string{"alice.jwt", "bob.jwt", "public-key.pem"}
		for _, dir := range []string{"manifests", "labs"} {
			copied, err := filepath.Glob(filepath.Join(original, dir, "*"))
			require.NoError(t, err)
			for _, m := range copied {
				files = append(files, filepath.ToSlash(filepath.Join(dir, filepath.Base(m))))
			}
		}
		require.Equal(t, want, checksums(t, original, files),
			"the tutorial's files at %s differ from %s", original, seedManifest)
	})
}

// readManifest parses sha256sum output: one "<hex>  <path>" line per file.
func readManifest(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		require.True(t, ok && len(sum) == sha256.Size*2 && name != "", "%s: malformed line %q", path, line)
		require.NotContains(t, out, name, "%s lists %s twice", path, name)
		out[name] = sum
	}
	return out
}

// copiedFiles lists the files of the copy, slash-separated and relative to dir, leaving out
// its manifest and its README (the repository's own description of the folder).
func copiedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err == nil && rel != seedManifest && rel != "README.md" {
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	require.NoError(t, err)
	return files
}

// checksums returns the hex sha256 of each of files, relative to dir.
func checksums(t *testing.T, dir string, files []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		out[f] = hex.EncodeToString(sum[:])
	}
	return out
}

func TestSeedTokensLoad(t *testing.T) {
	require.Regexp(t, `^eyJ[\w-]+\.[\w-]+\.[\w-]+$`, tokens.Alice(t))
	require.Regexp(t, `^eyJ[\w-]+\.[\w-]+\.[\w-]+$`, tokens.Bob(t))
	require.Contains(t, tokens.PublicKeyPEM(t), "BEGIN PUBLIC KEY")
}
