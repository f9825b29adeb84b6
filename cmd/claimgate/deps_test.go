package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// shipped are the binaries `make build` releases, and every other package under cmd/.
var shipped = []string{
	"github.com/claimgate/claimgate/cmd/controller",
	"github.com/claimgate/claimgate/cmd/proxy",
	"github.com/claimgate/claimgate/cmd/claimgate",
	"github.com/claimgate/claimgate/cmd/...",
}

// testOnly reports whether a package is test code that must not reach a shipped binary:
// envtest (and the controller-runtime internals it runs on) or one of claimgate's test/
// packages.
func testOnly(pkg string) bool {
	for _, p := range []string{
		"sigs.k8s.io/controller-runtime/pkg/envtest",
		"sigs.k8s.io/controller-runtime/pkg/internal/testing",
		"github.com/claimgate/claimgate/test",
	} {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

func TestShippedPackagesLeaveOutTestCode(t *testing.T) {
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, shipped...)
	out, err := exec.CommandContext(t.Context(), "go", args...).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list -deps: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		listed[fields[0]] = true
		if testOnly(fields[0]) {
			continue // reported where shipped code imports it
		}
		for _, imp := range fields[1:] {
			if testOnly(imp) {
				t.Errorf("%s imports %s, which is test code", fields[0], imp)
			}
		}
	}
	for _, bin := range shipped[:3] {
		if !listed[bin] {
			t.Errorf("go list -deps did not list %s", bin)
		}
	}
}

func TestTestOnly(t *testing.T) {
	for pkg, want := range map[string]bool{
		"sigs.k8s.io/controller-runtime/pkg/envtest":                       true,
		"sigs.k8s.io/controller-runtime/pkg/envtest/komega":                true,
		"sigs.k8s.io/controller-runtime/pkg/internal/testing/controlplane": true,
		"github.com/claimgate/claimgate/test/testenv":                      true,
		"github.com/claimgate/claimgate/test/fakellm":                      true,
		"sigs.k8s.io/controller-runtime/pkg/client":                        false,
		"github.com/claimgate/claimgate/cmd/claimgate/demo/stack":          false,
		"github.com/claimgate/claimgate/cmd/claimgate/demo/fakellm":        false,
		"github.com/claimgate/claimgate/testdata":                          false,
	} {
		if got := testOnly(pkg); got != want {
			t.Errorf("testOnly(%q) = %v, want %v", pkg, got, want)
		}
	}
}
