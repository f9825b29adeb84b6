package stack

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/checkout"
)

// SamplesDir is config/samples: the tutorial's manifests, with the Upstream pointed at
// the local fake LLM, and its tokens.
func SamplesDir() string { return filepath.Join(checkout.Root(), "config", "samples") }

// Sample returns the path of one file of config/samples.
func Sample(name string) string { return filepath.Join(SamplesDir(), name) }

// Samples lists the tutorial's numbered manifests in the order they are applied.
func Samples() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(SamplesDir(), "[0-9]*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing the samples: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

// Kubectl runs kubectl as the administrator.
func (s *Stack) Kubectl(args ...string) (string, error) { return s.Env.Kubectl(args...) }

// ApplyGatewayClass installs the GatewayClass the Helm chart would install.
func (s *Stack) ApplyGatewayClass() error {
	_, err := s.Kubectl("apply", "-f", Sample("gatewayclass.yaml"))
	return err
}
