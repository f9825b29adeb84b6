package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Results is everything one run measured.
type Results struct {
	Config     Config
	Started    time.Time
	Elapsed    time.Duration
	systems    []*system
	throughput throughput
	half       halfRate
	streams    map[string]*streamStats
	conc       concurrent
	floods     []floodRow
	rl         *rateLimit // nil when skipped
	cp         []cpRow
	cpErr      string
}

// Run runs every scenario and returns the results; dir holds the processes' files.
func Run(ctx context.Context, cfg Config, dir string, log io.Writer) (*Results, error) {
	res := &Results{Config: cfg, Started: time.Now()}
	logf := func(format string, a ...any) { fmt.Fprintf(log, format+"\n", a...) }
	var b *backend
	if cfg.SkipDataPlane {
		var err error
		if b, err = startBackend(); err != nil {
			return nil, err
		}
		defer b.close()
	} else {
		f, err := newFixture(ctx, cfg, dir, log)
		if err != nil {
			return nil, fmt.Errorf("starting the data-plane systems: %w", err)
		}
		defer f.close()
		res.runDataPlane(f, logf)
		b = f.backend
	}
	if !cfg.SkipRateLimit && ctx.Err() == nil {
		res.rl = runRateLimit(ctx, cfg, dir, b.port(), logf)
	}
	if !cfg.SkipControlPlane && ctx.Err() == nil {
		res.cp, res.cpErr = runCPScenario(ctx, cfg, dir, b.port(), logf)
	}
	res.Elapsed = time.Since(res.Started)
	return res, nil
}

// runDataPlane runs the scenarios of direct, claimgate and HAProxy, then stops the
// proxies so that the next scenarios have the machine to themselves.
func (res *Results) runDataPlane(f *fixture, logf func(string, ...any)) {
	res.systems = f.systems
	if f.cfg.OnlyStreams {
		logf("concurrent streams: %v held open, first events at %d", f.cfg.ConcurrentStreams, f.cfg.FirstEventStreams)
		res.conc = f.runConcurrent()
		return
	}
	for _, s := range f.systems {
		if s.unavailable != "" {
			logf("%s: %s", s.name, s.unavailable)
		}
	}
	logf("data plane: %d rounds × %v × concurrency %v", f.cfg.Rounds, f.cfg.Step, f.cfg.Concurrency)
	res.throughput = f.runThroughput()
	res.half = f.runHalfRate(res.throughput.saturation(sysPolicy))
	res.streams = f.runStreaming()
	res.floods = f.runFloods()
	f.stopProxies()
	logf("concurrent streams: %v held open, first events at %d", f.cfg.ConcurrentStreams, f.cfg.FirstEventStreams)
	res.conc = f.runConcurrent()
}

// stopProxies stops the data-plane proxies (not the backend) so the rate-limit and
// control-plane scenarios have the machine to themselves.
func (f *fixture) stopProxies() {
	for _, s := range f.systems {
		s.proc.Stop(5 * time.Second)
	}
}

func runCPScenario(ctx context.Context, cfg Config, dir string, backendPort int, logf func(string, ...any)) ([]cpRow, string) {
	cpDir, err := os.MkdirTemp(dir, "controlplane-")
	if err != nil {
		return nil, err.Error()
	}
	logf("control plane: starting the API server, the controller and a proxy")
	c, err := startCP(ctx, cpDir, cfg.Bin, backendPort, cfg.ControllerPprof)
	if err != nil {
		return nil, err.Error()
	}
	defer c.stop()
	if cfg.ControllerPprof != "" {
		logf("control plane: profiles at http://%s/debug/pprof/ (controller) and http://%s/debug/pprof/ (proxy)",
			cfg.ControllerPprof, c.st.ProxyAdminAddr)
	}
	alice, err := readSeedToken("alice.jwt")
	if err != nil {
		return nil, err.Error()
	}
	return runControlPlane(ctx, cfg, c, alice, logf), ""
}
