// Package tokens is a test helper shared by the data plane's unit tests, the feature tests
// and the benchmarks: it generates signing keys, mints signed JWTs with chosen claims,
// kid and alg, serves a JWKS over httptest, and loads the access-control tutorial's seed
// files (alice.jwt, bob.jwt, public-key.pem).
package tokens

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// SeedDir returns the directory that holds the tutorial's seed files, verbatim:
// test/testdata/seed in this repository.
func SeedDir() string {
	_, file, _, _ := runtime.Caller(0)
	// file is <root>/test/tokens/seed.go.
	return filepath.Join(filepath.Dir(filepath.Dir(file)), "testdata", "seed")
}

// ReadSeed returns the content of one seed file with surrounding whitespace trimmed.
func ReadSeed(name string) (string, error) {
	path := filepath.Join(SeedDir(), name)
	b, err := os.ReadFile(path) //nolint:gosec // test helper reading a fixed seed folder
	if err != nil {
		return "", fmt.Errorf("reading seed file %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Alice is the tutorial's token of Alice (llms.openai holds gpt-3.5-turbo).
func Alice(tb testing.TB) string { return mustSeed(tb, "alice.jwt") }

// Bob is the tutorial's token of Bob (llms.mistralai only).
func Bob(tb testing.TB) string { return mustSeed(tb, "bob.jwt") }

// PublicKeyPEM is the tutorial's RS256 public key (issuer solo.io) that verifies Alice's
// and Bob's tokens.
func PublicKeyPEM(tb testing.TB) string { return mustSeed(tb, "public-key.pem") }

// TutorialIssuer is the issuer of the tutorial's tokens.
const TutorialIssuer = "solo.io"

func mustSeed(tb testing.TB, name string) string {
	tb.Helper()
	s, err := ReadSeed(name)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
