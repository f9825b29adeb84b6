package bench

import (
	"path/filepath"
	"time"
)

// Config sizes a run. Full is what `make bench` runs; Smoke is a quick pass that proves
// every scenario works without timing anything meaningful.
type Config struct {
	// Bin holds the proxy and controller binaries.
	Bin string
	// RedisBin holds redis-server (`make redis` installs it in bin/redis); without it the
	// rate-limit scenario is not available.
	RedisBin string
	// Rounds is how many times every system runs each concurrency step, alternating.
	Rounds int
	// Step is the duration of one closed-loop measurement; Warmup precedes each.
	Step, Warmup time.Duration
	// Concurrency lists the closed-loop client counts.
	Concurrency []int
	// TokenPool is how many unique tokens the fresh-token system cycles through; it is
	// kept above the proxy's verified-token cache (10,000) so every request misses it.
	TokenPool int
	// StreamRequests is how many streamed answers each system receives, one at a time.
	StreamRequests int
	// ConcurrentStreams lists the numbers of streamed answers held open at once through
	// each system, for the proxy's memory per open stream.
	ConcurrentStreams []int
	// FirstEventStreams is how many streams are opened at once, in every round, to time
	// their first events.
	FirstEventStreams int
	// FirstEventRounds is how many rounds time the first events (each system once a
	// round, side by side).
	FirstEventRounds int
	// StreamOpenTimeout bounds the wait for every stream of a batch to have its first event.
	StreamOpenTimeout time.Duration
	// StreamFDLimit, when positive, replaces the process's descriptor limit in deciding
	// whether a batch's clients need HTTP/2 (a smoke run sets it low to cover that path).
	StreamFDLimit int
	// StreamProfiles, when set, is a folder the proxy's heap and goroutine profiles are
	// written to while each size of the concurrent-streams scenario is held open.
	StreamProfiles string
	// OnlyStreams runs the concurrent-streams scenario alone, without the other
	// data-plane scenarios.
	OnlyStreams bool
	// FloodStep is the duration of each invalid-token flood.
	FloodStep time.Duration
	// RateLimitClients is the closed-loop client count of the rate-limit scenario, split
	// over its two proxies.
	RateLimitClients int
	// RouteSizes lists the control-plane sizes (HTTPRoutes, each with a RouteOption).
	RouteSizes []int
	// Toggles is how many policy changes are timed at each size.
	Toggles int
	// ChangeTimeout bounds the wait for one policy change to be enforced.
	ChangeTimeout time.Duration
	// ControllerPprof, when set, is the address the controller serves Go's
	// /debug/pprof profiles on (its --pprof-bind-address), for profiling a run.
	ControllerPprof string
	// ControlPlaneProfiles, when set with ControllerPprof, is a folder the controller's
	// CPU profile over each size's timed changes, and its heap profile after them, are
	// written to.
	ControlPlaneProfiles string
	// SizeTimeout bounds the creation of one size's objects and their compilation.
	SizeTimeout time.Duration
	// SkipControlPlane leaves out the control-plane scenarios.
	SkipControlPlane bool
	// SkipDataPlane leaves out the data-plane scenarios (direct, claimgate, HAProxy).
	SkipDataPlane bool
	// SkipRateLimit leaves out the rate-limit scenario (two proxies sharing Redis).
	SkipRateLimit bool
}

// Full is the configuration of `make bench`.
func Full(bin string) Config {
	return Config{
		Bin: bin, RedisBin: filepath.Join(bin, "redis"), Rounds: 3, Step: 3 * time.Second, Warmup: 500 * time.Millisecond,
		Concurrency: []int{1, 16, 64}, TokenPool: 24000, StreamRequests: 40,
		ConcurrentStreams: []int{2000, 10000}, FirstEventStreams: 200, FirstEventRounds: 7, StreamOpenTimeout: 2 * time.Minute,
		FloodStep: 2 * time.Second, RateLimitClients: 64, RouteSizes: []int{100, 1000, 10000}, Toggles: 20,
		SizeTimeout: 8 * time.Minute, ChangeTimeout: 6 * time.Minute,
	}
}

// Smoke is the configuration of `make bench-smoke` and TestSmoke.
func Smoke(bin string) Config {
	return Config{
		Bin: bin, RedisBin: filepath.Join(bin, "redis"), Rounds: 1, Step: 150 * time.Millisecond, Warmup: 20 * time.Millisecond,
		Concurrency: []int{1, 16, 64}, TokenPool: 200, StreamRequests: 3,
		ConcurrentStreams: []int{20, 60}, FirstEventStreams: 10, FirstEventRounds: 1, StreamOpenTimeout: 30 * time.Second, StreamFDLimit: 200,
		FloodStep: 150 * time.Millisecond, RateLimitClients: 16, RouteSizes: []int{10}, Toggles: 3,
		SizeTimeout: 2 * time.Minute, ChangeTimeout: time.Minute,
	}
}

// Limit drops the route sizes above maxRoutes and overrides rounds and step when they
// are positive.
func Limit(cfg Config, maxRoutes, rounds int, step time.Duration) Config {
	var sizes []int
	for _, n := range cfg.RouteSizes {
		if n <= maxRoutes {
			sizes = append(sizes, n)
		}
	}
	cfg.RouteSizes = sizes
	if rounds > 0 {
		cfg.Rounds = rounds
	}
	if step > 0 {
		cfg.Step = step
	}
	return cfg
}
