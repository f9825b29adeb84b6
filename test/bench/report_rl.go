package bench

import (
	"fmt"
	"strings"

	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// rlState says why the rate-limit scenario has no figures ("" when it has).
func (r *Results) rlState() string {
	switch {
	case r.Config.SkipRateLimit:
		return "Skipped."
	case r.rl == nil:
		return "Not run."
	case r.rl.unavailable != "":
		return r.rl.unavailable
	case r.rl.err != "":
		return "Failed: " + oneLine(r.rl.err)
	}
	return ""
}

func (r *Results) rlTable(b *strings.Builder) {
	clients := r.Config.RateLimitClients
	fmt.Fprintf(b, "## Rate limit: two proxies sharing counters in Redis (%d clients split over both)\n\n", clients)
	if s := r.rlState(); s != "" {
		b.WriteString(s + "\n\n")
		return
	}
	rl := r.rl
	b.WriteString("| Route | req/s | p50 | p99 | proxies CPU s / 1k req | redis-server CPU s / 1k req | Redis round trips / request | round trip, mean | failed round trips | unexpected / requests |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range []struct {
		name string
		st   *rlSteps
	}{
		{"plain route, JWT, no limit", &rl.open},
		{fmt.Sprintf("same route + RateLimitConfig on the sub claim (%d a minute), counters in Redis", rlHighLimit), &rl.limit},
	} {
		st := row.st
		fmt.Fprintf(b, "| %s | %.0f | %s | %s | %.3f | %.3f | %.2f | %s | %.0f | %d / %d |\n", row.name, median(st.rps),
			ms(median(st.p50)), ms(median(st.p99)), st.proxyCPUPer1k, st.redisPer1k, st.roundTripsPerRequest(),
			ms(st.meanRoundTrip()), st.redisErrors, st.bad, st.requests)
	}
	if v, ok := rl.ratio(); ok {
		fmt.Fprintf(b, "\nWith the limit ÷ without: **%.2f**.\n", v)
	}
	b.WriteString("\n| Flood | 429/s | p50 | p99 | proxies CPU s / 1k req | Redis round trips | answered from the proxies' memory | not 429 / requests |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	f := &rl.flood
	fmt.Fprintf(b, "| one key over its limit (1 a day), same route | %.0f | %s | %s | %.3f | %.0f of %d requests | %.0f | %d / %d |\n\n",
		median(f.rps), ms(median(f.p50)), ms(median(f.p99)), f.proxyCPUPer1k, f.roundTrips, f.sent, f.localOver, f.bad, f.requests)
	fmt.Fprintf(b, "Before the rounds, the flood key was spent by sending each proxy requests until it answered 429: "+
		"%d requests, %d allowed (1 when both proxies count in one place), %.0f Redis round trips.\n\n",
		rl.spend.requests, rl.spend.allowed, rl.spend.roundTrips)
}

// ratio is the limited route's median throughput over the open one's.
func (rl *rateLimit) ratio() (float64, bool) {
	with, without := median(rl.limit.rps), median(rl.open.rps)
	if without == 0 {
		return 0, false
	}
	return with / without, true
}

func (r *Results) rlGoals() []goal {
	clients := r.Config.RateLimitClients
	gs := []goal{
		{name: fmt.Sprintf("two proxies, rate limit in Redis ÷ no limit (%d clients)", clients), target: "≥ 0.9"},
		{name: "Redis round trips per rate-limited request", target: "≤ 1"},
		{name: "429 answers per second, flood from one key over its limit", target: "reported (no target)", figure: true},
		{name: "Redis round trips during that flood (the key known over)", target: "0"},
	}
	if s := r.rlState(); s != "" {
		for i := range gs {
			gs[i].measured = strings.TrimSuffix(s, ".")
		}
		return gs
	}
	rl := r.rl
	if v, ok := rl.ratio(); ok {
		gs[0].measured = fmt.Sprintf("%.2f (%.0f vs %.0f req/s)", v, median(rl.limit.rps), median(rl.open.rps))
		gs[0].met = verdict(v >= 0.9)
	}
	if rl.limit.requests > 0 {
		v := rl.limit.roundTripsPerRequest()
		gs[1].measured = fmt.Sprintf("%.2f (%.0f round trips, %d requests)", v, rl.limit.roundTrips, rl.limit.sent)
		gs[1].met = verdict(v <= 1)
	}
	if f := &rl.flood; f.requests > 0 {
		flood, open := median(f.rps), median(rl.open.rps)
		gs[2].measured = fmt.Sprintf("%.0f 429/s (no limit: %.0f req/s)", flood, open)
		gs[3].measured = fmt.Sprintf("%.0f in %d requests (%.0f while spending the key, %d requests)",
			f.roundTrips, f.sent, rl.spend.roundTrips, rl.spend.requests)
		gs[3].met = verdict(f.roundTrips == 0)
	}
	return gs
}

func (r *Results) rlProblems() []string {
	rl := r.rl
	if rl == nil || rl.unavailable != "" {
		return nil
	}
	if rl.err != "" {
		return []string{"rate limit: " + rl.err}
	}
	var ps []string
	add := func(format string, a ...any) { ps = append(ps, fmt.Sprintf("rate limit: "+format, a...)) }
	for _, c := range []struct {
		name string
		st   *rlSteps
	}{{"no limit", &rl.open}, {"limit in Redis", &rl.limit}, {"flood over the limit", &rl.flood}} {
		name, st := c.name, c.st
		// A failed round trip lets its request pass (deny-on-fail is off): the table
		// counts them; on a loaded machine a few exceed the round-trip timeout.
		if st.requests == 0 || st.bad > 0 {
			add("%s: %d unexpected answers or errors of %d", name, st.bad, st.requests)
		}
	}
	if rl.spend.allowed != 1 && rl.spend.redisErrors == 0 {
		add("%d requests of a key with a limit of 1 a day were allowed: the proxies do not share one counter", rl.spend.allowed)
	}
	return ps
}

func (r *Results) rlNotes(b *strings.Builder) {
	b.WriteString("- Rate limit: a redis-server started by the run on a free loopback port; the controller (`--rate-limit-redis-address`) " +
		"hands it to both proxies in the snapshot. The two proxies (127.0.0.1 and 127.0.0.2, same port) serve two identical plain " +
		"HTTPRoutes to the backend, JWT on both, one with a RouteOption `rateLimitConfigs` ref; the clients are split evenly, " +
		"one token, closed loop; every round runs the route without the limit, with it, and a flood (the same route, a token " +
		"whose key has a limit of 1 a day, spent before the rounds). Round trips: the proxies' " +
		"`" + metricRedisRoundTrips + "` over warm-ups and steps ÷ the requests sent; round trip, mean: " +
		"`claimgate_proxy_ratelimit_redis_round_trip_seconds` sum ÷ count; a failed round trip (past its " +
		ratelimit.DefaultRedisRoundTripTimeout.String() + " timeout) lets its request pass. " +
		"CPU: utime+stime of both proxies and of redis-server over the steps.\n")
}
