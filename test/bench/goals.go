package bench

import (
	"fmt"
	"strings"
)

// goal is one target of the benchmark and where the run left it.
type goal struct {
	name, target, measured string
	met                    *bool // nil: not measured
	figure                 bool  // a figure reported beside the goals, with no target
}

func verdict(ok bool) *bool { return &ok }

func (r *Results) goals() []goal {
	var gs []goal
	if !r.Config.SkipDataPlane && !r.Config.OnlyStreams {
		gs = r.dpGoals()
	}
	if !r.Config.SkipDataPlane {
		gs = append(gs, r.concGoals()...)
	}
	if !r.Config.SkipRateLimit {
		gs = append(gs, r.rlGoals()...)
	}
	return append(gs, r.cpGoals()...)
}

func (r *Results) dpGoals() []goal {
	var gs []goal
	satPolicy, satNone := r.throughput.saturation(sysPolicy), r.throughput.saturation(sysNoPolicy)
	g := goal{name: "JWT+RBAC, same token ÷ no policy (best step each)", target: "≥ 0.95"}
	if satNone > 0 {
		v := satPolicy / satNone
		g.measured, g.met = fmt.Sprintf("%.2f (%.0f vs %.0f req/s)", v, satPolicy, satNone), verdict(v >= 0.95)
	}
	gs = append(gs, g)
	g = goal{name: "JWT+RBAC, same token ÷ HAProxy with the same checks (best step each)", target: "≥ 1.0", measured: "HAProxy not available"}
	if satHA := r.throughput.saturation(sysHAProxy); satHA > 0 && !r.unavailable(sysHAProxy) {
		v := satPolicy / satHA
		g.measured, g.met = fmt.Sprintf("%.2f (%.0f vs %.0f req/s)", v, satPolicy, satHA), verdict(v >= 1)
	}
	gs = append(gs, g)
	g = goal{name: fmt.Sprintf("p99 added by JWT+RBAC at half saturation (%.0f req/s)", r.half.rate), target: "≤ 0.5 ms"}
	if len(r.half.p99[sysPolicy]) > 0 {
		v := median(r.half.p99[sysPolicy]) - median(r.half.p99[sysDirect])
		g.measured, g.met = ms(v), verdict(v <= 0.0005)
	}
	gs = append(gs, g)
	g = goal{name: "p99 added at half saturation, JWT+RBAC vs HAProxy with the same checks", target: "≤ HAProxy's", measured: "HAProxy not available"}
	if len(r.half.p99[sysPolicy]) > 0 && len(r.half.p99[sysHAProxy]) > 0 && !r.unavailable(sysHAProxy) {
		direct := median(r.half.p99[sysDirect])
		ours, theirs := median(r.half.p99[sysPolicy])-direct, median(r.half.p99[sysHAProxy])-direct
		g.measured, g.met = fmt.Sprintf("%s vs %s", ms(ours), ms(theirs)), verdict(ours <= theirs)
	}
	return append(gs, g)
}

func (r *Results) cpGoals() []goal {
	apply := goal{name: "apply → enforced p99 at 10,000 routes", target: "≤ 100 ms", measured: "not measured"}
	mem := goal{name: "controller peak RSS at 10,000 routes", target: "≤ 250 MiB", measured: "not measured"}
	var big, largest *cpRow
	for i := range r.cp {
		if r.cp[i].err != "" {
			continue
		}
		largest = &r.cp[i]
		if r.cp[i].routes == 10000 {
			big = &r.cp[i]
		}
	}
	switch {
	case big != nil:
		mem.measured, mem.met = fmt.Sprintf("%.0f MiB", float64(big.hwmKiB)/1024), verdict(big.hwmKiB <= 250*1024)
		if len(big.apply) > 0 {
			p99 := quantile(big.apply, 0.99)
			apply.measured = fmt.Sprintf("%s (%d changes, %d not enforced within %v)", ms(p99), len(big.apply), big.applyFailures, r.Config.ChangeTimeout)
			apply.met = verdict(p99 <= 0.1 && big.applyFailures == 0)
		} else {
			apply.measured = fmt.Sprintf("no change enforced within %v (first change after adding routes: %s)", r.Config.ChangeTimeout, ms(big.firstApply))
			apply.met = verdict(false)
		}
	case largest != nil:
		at := fmt.Sprintf(" (at %d routes, the largest measured)", largest.routes)
		apply.measured = ms(quantile(largest.apply, 0.99)) + at
		mem.measured = fmt.Sprintf("%.0f MiB%s", float64(largest.hwmKiB)/1024, at)
	}
	churn := goal{name: "errors during route and policy churn", target: "0", measured: "not measured"}
	if len(r.cp) > 0 {
		var bad, total int64
		for _, c := range r.cp {
			bad, total = bad+c.churnBad, total+c.churnRequests
		}
		churn.measured, churn.met = fmt.Sprintf("%d of %d requests", bad, total), verdict(bad == 0 && total > 0)
	}
	return []goal{apply, mem, churn}
}

func (r *Results) goalTable(b *strings.Builder) {
	b.WriteString("## Goals\n\n| Goal | Target | Measured | Met |\n|---|---|---|---|\n")
	for _, g := range r.goals() {
		met := "not measured"
		switch {
		case g.figure:
			met = "—"
		case g.met != nil:
			met = map[bool]string{true: "yes", false: "**no**"}[*g.met]
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", g.name, g.target, g.measured, met)
	}
	b.WriteString("\n")
}

func (r *Results) notes(b *strings.Builder) {
	fmt.Fprintf(b, "## How this was measured\n\n"+
		"- Each closed-loop step: %v warm-up, then %v measured; systems alternate within every round.\n"+
		"- Fresh token: a pool of %d unique RS256 tokens walked in order; %s\n"+
		"- HAProxy: `http_auth_bearer`, `jwt_verify(alg, pem)`, `exp` against `date`, `iss`, and "+
		"`jwt_payload_query('$.llms.openai[0]')` (HAProxy 2.6 cannot search a JSON list, so it checks the first item).\n"+
		"- CPU per 1,000 requests: utime+stime of the proxy process over the step; peak RSS: its VmHWM.\n"+
		"- Apply → enforced: from the RouteOption update to the first response with the new status, polled every millisecond (one request, then a 1 ms pause); the API write is the read-modify-update of the RouteOption until the API server answers, retried on a conflict. The first change after adding routes is timed right after the last route is served; the repeated changes start once the controller has no status left to write (\"statuses written after\", from the first change; the controller's status work queue empty three scrapes in a row).\n"+
		"- Compile: claimgate_compile_duration_seconds sum/count over the compilations the changes caused.\n",
		r.Config.Warmup, r.Config.Step, r.Config.TokenPool, poolNote(r.Config.TokenPool))
	r.rlNotes(b)
	fmt.Fprintf(b, "- Run took %s.\n", r.Elapsed.Round(1e9))
}

func poolNote(n int) string {
	if n > 10000 {
		return "it is larger than the proxy's 10,000-entry verified-token cache, so every request verifies a signature."
	}
	return "it fits in the proxy's 10,000-entry verified-token cache, so after the first pass tokens hit the cache (a smoke run, not a measurement)."
}
