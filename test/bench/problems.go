package bench

import "fmt"

// Problems lists every scenario that produced no row or saw an answer it should not have.
// A system that could not be started (HAProxy without the package) is not a problem;
// Unavailable names those.
func (r *Results) Problems() []string {
	var ps []string
	if !r.Config.SkipDataPlane && !r.Config.OnlyStreams {
		ps = r.dpProblems()
	}
	if !r.Config.SkipDataPlane {
		ps = append(ps, r.concProblems()...)
	}
	ps = append(ps, r.rlProblems()...)
	return append(ps, r.cpProblems()...)
}

func (r *Results) dpProblems() []string {
	var ps []string
	add := func(format string, a ...any) { ps = append(ps, fmt.Sprintf(format, a...)) }
	for _, s := range r.systems {
		if s.unavailable != "" {
			continue
		}
		for _, c := range r.Config.Concurrency {
			st := r.throughput[s.name][c]
			switch {
			case st == nil || st.requests == 0:
				add("%s at %d clients: no requests answered", s.name, c)
			case st.bad > 0:
				add("%s at %d clients: %d unexpected answers or errors", s.name, c, st.bad)
			}
		}
	}
	for _, name := range r.half.systemSet {
		if r.half.requests[name] == 0 || r.half.bad[name] > 0 {
			add("open loop %s: %d requests, %d unexpected", name, r.half.requests[name], r.half.bad[name])
		}
	}
	for _, name := range []string{sysDirect, sysNoPolicy, sysPolicy} {
		if st := r.streams[name]; st == nil || len(st.first) == 0 || st.bad > 0 {
			add("streaming %s: no complete stream or failures", name)
		}
	}
	return append(ps, r.floodProblems()...)
}

func (r *Results) floodProblems() []string {
	var ps []string
	seen := map[string]int{}
	for _, f := range r.floods {
		seen[f.system]++
		if f.requests == 0 || f.bad > 0 {
			ps = append(ps, fmt.Sprintf("flood %s at %s: %d requests, %d not 401", f.kind, f.system, f.requests, f.bad))
		}
	}
	for _, name := range []string{sysPolicy, sysHAProxy} {
		if seen[name] == 0 && !r.unavailable(name) {
			ps = append(ps, "no flood rows for "+name)
		}
	}
	return ps
}

func (r *Results) cpProblems() []string {
	if r.Config.SkipControlPlane {
		return nil
	}
	if r.cpErr != "" {
		return []string{"control plane: " + r.cpErr}
	}
	var ps []string
	if len(r.cp) != len(r.Config.RouteSizes) {
		ps = append(ps, fmt.Sprintf("control plane: %d of %d sizes measured", len(r.cp), len(r.Config.RouteSizes)))
	}
	for _, c := range r.cp {
		switch {
		case c.err != "":
			ps = append(ps, fmt.Sprintf("control plane at %d routes: %s", c.routes, c.err))
		case len(c.apply) == 0 || c.applyFailures > 0:
			ps = append(ps, fmt.Sprintf("control plane at %d routes: %d changes timed, %d failed", c.routes, len(c.apply), c.applyFailures))
		case c.churnBad > 0 || c.churnRequests == 0:
			ps = append(ps, fmt.Sprintf("control plane at %d routes: churn %d bad of %d", c.routes, c.churnBad, c.churnRequests))
		}
	}
	return ps
}

// Unavailable lists the systems and scenarios that could not run, with the reason.
func (r *Results) Unavailable() []string {
	var out []string
	for _, s := range r.systems {
		if s.unavailable != "" {
			out = append(out, s.name+": "+s.unavailable)
		}
	}
	if r.rl != nil && r.rl.unavailable != "" {
		out = append(out, "rate limit: "+r.rl.unavailable)
	}
	return out
}
