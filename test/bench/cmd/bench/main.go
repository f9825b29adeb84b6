// Command bench runs claimgate's side-by-side benchmark and writes its Markdown report
// to stdout and to a timestamped file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/claimgate/claimgate/test/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	smoke := flag.Bool("smoke", false, "tiny sizes and short steps: proves every scenario works, times nothing")
	bin := flag.String("bin", "bin", "folder holding the proxy and controller binaries")
	out := flag.String("out", filepath.Join("test", "bench", "results"), "folder the Markdown report is written to")
	maxRoutes := flag.Int("max-routes", 10000, "largest control-plane size (sizes above it are dropped)")
	rounds := flag.Int("rounds", 0, "rounds per scenario (0: the configuration's default)")
	step := flag.Duration("step", 0, "duration of one measured step (0: the configuration's default)")
	noCP := flag.Bool("skip-control-plane", false, "leave out the control-plane scenarios")
	changeTimeout := flag.Duration("change-timeout", 0, "longest wait for one policy change to be enforced (0: the configuration's default)")
	noDP := flag.Bool("skip-data-plane", false, "leave out the data-plane scenarios (direct, claimgate, HAProxy)")
	noRL := flag.Bool("skip-rate-limit", false, "leave out the rate-limit scenario (two proxies sharing Redis)")
	redisBin := flag.String("redis-bin", "", "folder holding redis-server (default: <bin>/redis, from `make redis`)")
	pprofAddr := flag.String("controller-pprof", "", "address the controller serves /debug/pprof on (empty: off); the proxy then serves its profiles on its admin address")
	cpProfiles := flag.String("control-plane-profiles", "", "folder the controller's CPU profile over each size's timed changes and its heap profile after them are written to (with -controller-pprof)")
	onlyStreams := flag.Bool("only-streams", false, "run the concurrent-streams scenario alone (with -skip-control-plane and -skip-rate-limit)")
	streamProfiles := flag.String("stream-profiles", "", "folder the proxy's heap and goroutine profiles are written to while each concurrent-streams size is held open")
	streams := flag.String("concurrent-streams", "", "comma-separated numbers of streams held open at once (empty: the configuration's)")
	flag.Parse()

	cfg := bench.Full(*bin)
	if *smoke {
		cfg = bench.Smoke(*bin)
	}
	cfg = bench.Limit(cfg, *maxRoutes, *rounds, *step)
	cfg.SkipControlPlane, cfg.SkipDataPlane, cfg.SkipRateLimit = *noCP, *noDP, *noRL
	if *redisBin != "" {
		cfg.RedisBin = *redisBin
	}
	cfg.ControllerPprof, cfg.ControlPlaneProfiles = *pprofAddr, *cpProfiles
	if *cpProfiles != "" && *pprofAddr == "" {
		return errors.New("-control-plane-profiles needs -controller-pprof")
	}
	cfg.OnlyStreams, cfg.StreamProfiles = *onlyStreams, *streamProfiles
	if *streams != "" {
		var err error
		if cfg.ConcurrentStreams, err = parseInts(*streams); err != nil {
			return fmt.Errorf("-concurrent-streams: %w", err)
		}
	}
	if *changeTimeout > 0 {
		cfg.ChangeTimeout = *changeTimeout
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "claimgate-bench-")
	if err != nil {
		return fmt.Errorf("creating a work folder: %w", err)
	}
	defer os.RemoveAll(dir)
	res, err := bench.Run(ctx, cfg, dir, os.Stderr)
	if err != nil {
		return err
	}
	md := res.Markdown()
	fmt.Print(md)
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return fmt.Errorf("creating %s: %w", *out, err)
	}
	name := time.Now().UTC().Format("20060102-150405")
	if *smoke {
		name += "-smoke"
	}
	path := filepath.Join(*out, name+".md")
	if err := os.WriteFile(path, []byte(md), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	fmt.Fprintln(os.Stderr, "report written to", path)
	if ps := res.Problems(); len(ps) > 0 {
		return fmt.Errorf("%d problem(s): %v", len(ps), ps)
	}
	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
