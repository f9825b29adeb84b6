package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"
)

// rateLimit is the rate-limit scenario: two proxies sharing counters in a local
// redis-server, the same plain route with and without a RateLimitConfig keyed on the
// sub claim, and a flood from a key already over its limit, alternating in rounds.
type rateLimit struct {
	unavailable string // why the scenario could not run (no redis-server)
	err         string // what failed once it ran
	clients     int
	open, limit rlSteps
	flood       rlSteps // want 429
	spend       rlSpend
}

// rlSteps are the closed-loop steps of one load, one entry per round.
type rlSteps struct {
	rps, p50, p99 []float64
	requests, bad int // of the measured steps; bad: unexpected answers plus errors
	// sent counts the requests of the warm-ups too: the Redis counters (both proxies)
	// cover warm-ups and steps.
	sent                      int
	roundTrips, redisErrors   float64
	redisSeconds, localOver   float64
	proxyCPU, redisCPU        float64 // seconds over the measured steps
	proxyCPUPer1k, redisPer1k float64
}

// rlSpend is how the flood's key went over its limit before the rounds: requests to
// each proxy until it answered 429.
type rlSpend struct {
	requests, allowed       int
	roundTrips, redisErrors float64
}

// runRateLimit runs the rate-limit scenario; what went wrong is in the result.
func runRateLimit(ctx context.Context, cfg Config, dir string, backendPort int, logf func(string, ...any)) *rateLimit {
	rl := &rateLimit{clients: cfg.RateLimitClients}
	if err := redisAvailable(cfg); err != nil {
		rl.unavailable = "not available: " + err.Error()
		logf("rate limit: %s", rl.unavailable)
		return rl
	}
	if err := rl.run(ctx, cfg, dir, backendPort, logf); err != nil {
		rl.err = err.Error()
		logf("rate limit: %v", err)
	}
	return rl
}

func (rl *rateLimit) run(ctx context.Context, cfg Config, dir string, backendPort int, logf func(string, ...any)) error {
	signer, err := NewSigner()
	if err != nil {
		return err
	}
	pemKey, err := signer.PublicPEM()
	if err != nil {
		return err
	}
	load, err := signer.Mint(Claims(rlLoadUser, ""))
	if err != nil {
		return err
	}
	flood, err := signer.Mint(Claims(rlFloodUser, ""))
	if err != nil {
		return err
	}
	rlDir, err := os.MkdirTemp(dir, "ratelimit-")
	if err != nil {
		return fmt.Errorf("creating a folder for the rate-limit stack: %w", err)
	}
	logf("rate limit: starting the API server, redis-server, the controller and two proxies")
	s, err := startRLStack(ctx, cfg, rlDir, backendPort, pemKey)
	if err != nil {
		return err
	}
	defer s.stop()
	if err := s.waitLimited(load, time.Minute); err != nil {
		return err
	}
	if err := rl.spendKey(s, flood); err != nil {
		return err
	}
	return rl.rounds(ctx, cfg, s, load, flood, logf)
}

// rounds alternates the route without the limit, with it, and the flood, cfg.Rounds
// times.
func (rl *rateLimit) rounds(ctx context.Context, cfg Config, s *rlStack, load, flood string, logf func(string, ...any)) error {
	loads := []struct {
		name string
		ts   []Target
		st   *rlSteps
	}{
		{"no limit", s.targets(rlOpenPath, load, http.StatusOK), &rl.open},
		{"limit in Redis", s.targets(rlLimitedPath, load, http.StatusOK), &rl.limit},
		{"flood over limit", s.targets(rlLimitedPath, flood, http.StatusTooManyRequests), &rl.flood},
	}
	for round := range cfg.Rounds {
		for _, l := range loads {
			if ctx.Err() != nil {
				return nil
			}
			trips := l.st.roundTrips
			if err := rl.measure(cfg, s, l.ts, l.st); err != nil {
				return err
			}
			logf("round %d  c=%-3d rate limit, two proxies, %-16s %8.0f req/s  p99 %s  %.0f Redis round trips", round+1,
				rl.clients, l.name, l.st.rps[len(l.st.rps)-1], ms(l.st.p99[len(l.st.p99)-1]), l.st.roundTrips-trips)
		}
	}
	for _, l := range loads {
		l.st.perThousand()
	}
	return nil
}

// measure runs one split closed-loop step after a warm-up, reading the proxies' Redis
// counters around both and the CPU time around the step.
func (rl *rateLimit) measure(cfg Config, s *rlStack, ts []Target, st *rlSteps) error {
	c0, err := scrapeRedis(s.admins)
	if err != nil {
		return err
	}
	w := SplitLoop(ts, rl.clients, cfg.Warmup)
	p0, r0 := s.cpuSeconds()
	r := SplitLoop(ts, rl.clients, cfg.Step)
	p1, r1 := s.cpuSeconds()
	c1, err := scrapeRedis(s.admins)
	if err != nil {
		return err
	}
	d := c1.sub(c0)
	st.rps = append(st.rps, r.RPS())
	st.p50 = append(st.p50, seconds(r.Quantile(0.50)))
	st.p99 = append(st.p99, seconds(r.Quantile(0.99)))
	st.requests += r.Requests
	st.bad += r.Unexpected + r.Errors
	st.sent += w.Requests + w.Errors + r.Requests + r.Errors
	st.roundTrips += d.roundTrips
	st.redisErrors += d.errors
	st.redisSeconds += d.seconds
	st.localOver += d.localOver
	st.proxyCPU += p1 - p0
	st.redisCPU += r1 - r0
	return nil
}

func (st *rlSteps) perThousand() {
	if st.requests > 0 {
		st.proxyCPUPer1k = st.proxyCPU / float64(st.requests) * 1000
		st.redisPer1k = st.redisCPU / float64(st.requests) * 1000
	}
}

// roundTripsPerRequest is the Redis round trips over the requests sent.
func (st *rlSteps) roundTripsPerRequest() float64 {
	if st.sent == 0 {
		return 0
	}
	return st.roundTrips / float64(st.sent)
}

// meanRoundTrip is the mean time of a Redis round trip, in seconds.
func (st *rlSteps) meanRoundTrip() float64 {
	if st.roundTrips == 0 {
		return 0
	}
	return st.redisSeconds / st.roundTrips
}

// spendKey spends the flood key's limit (1 a day), sending each proxy requests until it
// answers 429, so that both know the key is over before any flood.
func (rl *rateLimit) spendKey(s *rlStack, tok string) error {
	c0, err := scrapeRedis(s.admins)
	if err != nil {
		return err
	}
	c := newClient(1)
	defer c.CloseIdleConnections()
	for i, t := range s.targets(rlLimitedPath, tok, http.StatusTooManyRequests) {
		code := 0
		for n := 0; code != http.StatusTooManyRequests; n++ {
			if n == 10 {
				return fmt.Errorf("proxy %d answers %d, not 429, to a key over its limit of 1 a day", i, code)
			}
			code = send(context.Background(), c, t, 0)
			rl.spend.requests++
			if code == http.StatusOK {
				rl.spend.allowed++
			}
		}
	}
	c1, err := scrapeRedis(s.admins)
	if err != nil {
		return err
	}
	d := c1.sub(c0)
	rl.spend.roundTrips, rl.spend.redisErrors = d.roundTrips, d.errors
	return nil
}
