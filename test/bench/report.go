package bench

import (
	"fmt"
	"strings"
)

// Markdown renders the results as a Markdown document.
func (r *Results) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# claimgate side-by-side benchmark\n\n%s, %s. %d round(s), %v per step; loopback, "+
		"client, backend and proxies on the same machine. Medians over rounds.\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), machine(), r.Config.Rounds, r.Config.Step)
	if !r.Config.SkipDataPlane && !r.Config.OnlyStreams {
		r.throughputTable(&b)
		r.ratioTable(&b)
		r.halfTable(&b)
		r.streamTable(&b)
		r.floodTable(&b)
	}
	if !r.Config.SkipDataPlane {
		r.concTable(&b)
	}
	r.rlTable(&b)
	r.cpTable(&b)
	r.goalTable(&b)
	r.notes(&b)
	return b.String()
}

func (r *Results) throughputTable(b *strings.Builder) {
	b.WriteString("## Data plane: closed loop, keep-alive\n\n")
	b.WriteString("| System | Clients | req/s | p50 | p90 | p99 | proxy CPU s / 1k req | proxy peak RSS | unexpected / requests |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range r.systems {
		if s.unavailable != "" {
			fmt.Fprintf(b, "| %s | | %s | | | | | | |\n", s.name, s.unavailable)
			continue
		}
		for _, c := range r.Config.Concurrency {
			st := r.throughput.at(s.name, c)
			cpu, rss := "n/a", "n/a"
			if s.proc != nil {
				cpu = fmt.Sprintf("%.3f", median(st.cpuPer1k))
				rss = fmt.Sprintf("%.1f MiB", float64(st.peakRSSKiB)/1024)
			}
			fmt.Fprintf(b, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %d / %d |\n", s.name, c, median(st.rps),
				ms(median(st.p50)), ms(median(st.p90)), ms(median(st.p99)), cpu, rss, st.bad, st.requests)
		}
	}
	b.WriteString("\n")
}

// ratio is a÷b of two systems' median throughput at concurrency c ("n/a" when missing).
func (r *Results) ratio(a, bName string, c int) (float64, bool) {
	if r.unavailable(a) || r.unavailable(bName) {
		return 0, false
	}
	x, y := median(r.throughput.at(a, c).rps), median(r.throughput.at(bName, c).rps)
	if y == 0 {
		return 0, false
	}
	return x / y, true
}

func (r *Results) unavailable(name string) bool {
	for _, s := range r.systems {
		if s.name == name {
			return s.unavailable != ""
		}
	}
	return true
}

func (r *Results) ratioTable(b *strings.Builder) {
	b.WriteString("## Throughput ratios\n\n| Ratio |")
	for _, c := range r.Config.Concurrency {
		fmt.Fprintf(b, " %d clients |", c)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(r.Config.Concurrency)) + "\n")
	for _, p := range [][2]string{
		{sysPolicy, sysNoPolicy},
		{sysPolicy, sysHAProxy},
		{sysNoPolicy, sysDirect},
		{sysFresh, sysNoPolicy},
		{sysFresh, sysHAProxy},
		{sysHAProxy, sysHAProxyNone},
	} {
		fmt.Fprintf(b, "| %s ÷ %s |", p[0], p[1])
		for _, c := range r.Config.Concurrency {
			if v, ok := r.ratio(p[0], p[1], c); ok {
				fmt.Fprintf(b, " %.2f |", v)
			} else {
				b.WriteString(" n/a |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func (r *Results) halfTable(b *strings.Builder) {
	h := r.half
	fmt.Fprintf(b, "## Latency at half of the policy system's saturation rate (open loop, %.0f req/s, %d workers)\n\n",
		h.rate, h.workers)
	b.WriteString("| System | p50 | p99 | p99 added vs direct | unexpected / requests |\n|---|---:|---:|---:|---:|\n")
	base := median(h.p99[sysDirect])
	for _, name := range h.systemSet {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d / %d |\n", name, ms(median(h.p50[name])), ms(median(h.p99[name])),
			ms(median(h.p99[name])-base), h.bad[name], h.requests[name])
	}
	b.WriteString("\n")
}

func (r *Results) streamTable(b *strings.Builder) {
	b.WriteString("## Streaming (5 events 10 ms apart, one request at a time)\n\n")
	b.WriteString("| System | first event p50 | first event max | total p50 | events | failures |\n|---|---:|---:|---:|---:|---:|\n")
	for _, name := range []string{sysDirect, sysNoPolicy, sysPolicy} {
		st := r.streams[name]
		if st == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %d |\n", name, ms(median(st.first)), ms(quantile(st.first, 1)),
			ms(median(st.total)), st.events, st.bad)
	}
	b.WriteString("\n")
}

func (r *Results) floodTable(b *strings.Builder) {
	b.WriteString("## Invalid-token floods (16 clients; every answer must be 401)\n\n")
	b.WriteString("| System | Token | rejections/s | not 401 / requests |\n|---|---|---:|---:|\n")
	for _, f := range r.floods {
		fmt.Fprintf(b, "| %s | %s | %.0f | %d / %d |\n", f.system, f.kind, f.perSecond, f.bad, f.requests)
	}
	b.WriteString("\n")
}
