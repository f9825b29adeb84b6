// Package memlimit gives the Go garbage collector the container's memory limit, so a
// process collects harder as it nears the limit instead of being killed for crossing it.
package memlimit

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
)

// cgroupFile is the cgroup v2 memory limit of the process's container.
const cgroupFile = "/sys/fs/cgroup/memory.max"

// share is the part of the container's limit given to the Go runtime: the rest is for
// what it does not count (stacks of threads, the binary, the kernel's buffers).
const share = 0.9

// Apply is Set, logging the limit given or why none was.
func Apply(log logr.Logger) {
	if limit, err := Set(); err != nil {
		log.Error(err, "keeping the Go runtime's default memory limit")
	} else if limit > 0 {
		log.Info("Go memory limit from the container", "bytes", limit)
	}
}

// Set gives the runtime 90% of the container's memory limit and returns it, unless
// GOMEMLIMIT is set or the container has no limit (then 0).
func Set() (int64, error) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, nil
	}
	limit, err := read(cgroupFile)
	if err != nil || limit == 0 {
		return 0, err
	}
	soft := int64(float64(limit) * share)
	debug.SetMemoryLimit(soft)
	return soft, nil
}

// read returns the limit in path: 0 when there is none ("max", or no such file).
func read(path string) (int64, error) {
	b, err := os.ReadFile(path) //nolint:gosec // a fixed cgroup path
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the memory limit: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v == math.MaxInt64 {
		return 0, fmt.Errorf("reading the memory limit: %s holds %q", path, s)
	}
	return v, nil
}
