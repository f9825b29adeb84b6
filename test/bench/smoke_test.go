package bench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/test/bench"
	"github.com/claimgate/claimgate/test/testenv"
)

// logWriter sends the benchmark's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestSmoke runs every scenario of the benchmark with the smoke configuration and checks
// that each produced its rows with the expected answers. It times nothing.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the benchmark smoke run starts processes and an API server")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/controller", "./cmd/proxy")
	build.Dir = testenv.ModuleRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the binaries: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := bench.Smoke(bin)
	// `make redis` installs redis-server in the checkout's bin/redis.
	cfg.RedisBin = filepath.Join(testenv.ModuleRoot(), "bin", "redis")
	res, err := bench.Run(ctx, cfg, dir, logWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Unavailable() {
		t.Logf("skipped: %s", u)
	}
	for _, p := range res.Problems() {
		t.Error(p)
	}
	md := res.Markdown()
	wants := []string{
		"| direct |", "| claimgate, no policy |", "| claimgate, JWT+RBAC, same token |",
		"| claimgate, JWT+RBAC, fresh token |", "## Control plane", "| 10 |", "## Goals",
		"## Rate limit", "## Concurrent streams", "| claimgate, JWT+RBAC, same token | 60 | h2c, 1 conns | 60 / 60 / 60 |",
		"| claimgate, no policy | 20 | HTTP/1.1, 20 conns | 20 / 20 / 20 |", "| direct | 60 | h2c, 1 conns | 60 / 60 / 60 |",
		"proxy memory per open stream at 60 concurrent streams", "first event at 10 concurrent streams ÷ direct (p50, same round)",
	}
	if _, err := os.Stat(filepath.Join(cfg.RedisBin, "redis-server")); err == nil {
		wants = append(wants, "| plain route, JWT, no limit |", "| one key over its limit", "With the limit ÷ without:")
	}
	for _, want := range wants {
		if !strings.Contains(md, want) {
			t.Errorf("the report has no %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}
