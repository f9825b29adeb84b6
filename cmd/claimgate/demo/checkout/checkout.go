// Package checkout locates what claimgate's local runs take from the repository checkout
// they run in: its root (config/crd, config/samples, charts), the kube-apiserver and etcd
// hack/build-k8s.sh builds into bin/k8s, and the Gateway API CRDs of the gateway-api
// module go.mod requires. The demo's stack (cmd/claimgate/demo/stack) and the tests'
// API server (test/testenv) share it.
package checkout

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// K8sVersion is the version of the kube-apiserver hack/build-k8s.sh builds.
const K8sVersion = "v1.37.2"

// Root returns the repository's root folder: found from this source file's path,
// or, in a binary built with -trimpath, by walking up from the working directory to the
// go.mod of this module.
func Root() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "..", ".."))
	}
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/claimgate/claimgate\n") {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// K8sBinaries returns the folder holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS
// when set (the Makefile sets it), else bin/k8s/<K8sVersion> under the root.
func K8sBinaries() string {
	if a := os.Getenv("KUBEBUILDER_ASSETS"); a != "" {
		return a
	}
	return filepath.Join(Root(), "bin", "k8s", K8sVersion)
}

// GatewayAPICRDDir returns the standard-channel CRD folder of the gateway-api module
// go.mod requires.
func GatewayAPICRDDir(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = Root()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating the sigs.k8s.io/gateway-api module: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard"), nil
}
