package bench

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func (r *Results) concTable(b *strings.Builder) {
	fmt.Fprintf(b, "## Concurrent streams (held open at once; a fresh backend and proxy per run)\n\n"+
		"Every stream sends two events 10 ms apart and waits; once all have had their first event the "+
		"proxy's RSS (/proc VmRSS), heap in use, goroutine stacks and goroutines (its /metrics: "+
		"go_memstats_heap_inuse_bytes, go_memstats_stack_inuse_bytes, go_goroutines) are sampled, then the streams are "+
		"released to finish. Growth is from the same proxy after a warm-up of 50 streams.\n\n")
	b.WriteString("| System | Streams | Clients | opened / completed / streams | first event p50 | p99 | " +
		"proxy RSS before → open | RSS per open stream | heap in use per stream | stacks per stream | goroutines per stream |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var whys []string
	for _, c := range r.conc.sizes {
		r.concLine(b, c)
		if c.why != "" && !slices.Contains(whys, c.why) {
			whys = append(whys, c.why)
		}
	}
	b.WriteString("\n")
	for _, w := range whys {
		fmt.Fprintf(b, "- HTTP/2 clients (h2c, %d streams per connection): %s.\n", streamsPerConn, w)
	}
	if len(whys) > 0 {
		b.WriteString("\n")
	}
	r.firstEventTable(b)
}

func (r *Results) concLine(b *strings.Builder, c *concRow) {
	if c.err != "" {
		fmt.Fprintf(b, "| %s | %d | | not run: %s | | | | | | | |\n", c.system, c.streams, c.err)
		return
	}
	proto := fmt.Sprintf("HTTP/1.1, %d conns", c.conns)
	if c.http2 {
		proto = fmt.Sprintf("h2c, %d conns", c.conns)
	}
	rss, mem := "n/a", "n/a | n/a | n/a | n/a"
	if c.system != sysDirect {
		rss = fmt.Sprintf("%.1f → %.1f MiB", float64(c.before.rssKiB)/1024, float64(c.open.rssKiB)/1024)
		mem = fmt.Sprintf("%.1f KiB | %.1f KiB | %.1f KiB | %.2f", c.perStream(), c.growth(heapKiB), c.growth(stackKiB),
			c.growth(goroutines))
	}
	fmt.Fprintf(b, "| %s | %d | %s | %d / %d / %d%s | %s | %s | %s | %s |\n", c.system, c.streams, proto,
		c.opened, c.completed, c.streams, errSummary(c.errs), ms(quantile(c.first, 0.5)), ms(quantile(c.first, 0.99)),
		rss, mem)
}

// errSummary names the most frequent failure of a batch, if any.
func errSummary(errs map[string]int) string {
	if len(errs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return errs[keys[i]] > errs[keys[j]] || errs[keys[i]] == errs[keys[j]] && keys[i] < keys[j]
	})
	return fmt.Sprintf(" (%d× %q)", errs[keys[0]], keys[0])
}

func (r *Results) firstEventTable(b *strings.Builder) {
	fmt.Fprintf(b, "### First event at %d streams opened at once (HTTP/1.1, after a warm-up batch of the same size; "+
		"medians over %d rounds, ratios to direct in the same round)\n\n", r.Config.FirstEventStreams, r.Config.FirstEventRounds)
	b.WriteString("| System | first event p50 | p99 | p50 ÷ direct | p99 ÷ direct | failures |\n|---|---:|---:|---:|---:|---:|\n")
	for _, name := range concSystems {
		p50, p99 := r.firstEvent(name)
		r50, r99, ok := r.firstEventRatio(name)
		fails := 0
		for _, c := range r.conc.first[name] {
			fails += c.streams - c.completed
		}
		ratios := "n/a | n/a"
		if ok {
			ratios = fmt.Sprintf("%.2f | %.2f", r50, r99)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d |\n", name, ms(p50), ms(p99), ratios, fails)
	}
	b.WriteString("\n")
}

// firstEvent is the median over rounds of a system's first-event p50 and p99.
func (r *Results) firstEvent(name string) (p50, p99 float64) {
	var a, b []float64
	for _, c := range r.conc.first[name] {
		if c.err == "" && len(c.first) > 0 {
			a, b = append(a, quantile(c.first, 0.5)), append(b, quantile(c.first, 0.99))
		}
	}
	return median(a), median(b)
}

// firstEventRatio is the median over rounds of a system's first-event p50 and p99
// divided by direct's of the same round; ok is false without a round of both.
func (r *Results) firstEventRatio(name string) (p50, p99 float64, ok bool) {
	var a, b []float64
	for i, c := range r.conc.first[name] {
		if i >= len(r.conc.first[sysDirect]) {
			break
		}
		d := r.conc.first[sysDirect][i]
		if c.err != "" || d.err != "" || len(c.first) == 0 || len(d.first) == 0 {
			continue
		}
		a = append(a, quantile(c.first, 0.5)/quantile(d.first, 0.5))
		b = append(b, quantile(c.first, 0.99)/quantile(d.first, 0.99))
	}
	return median(a), median(b), len(a) > 0
}

func (r *Results) concGoals() []goal {
	var gs []goal
	for _, n := range r.Config.ConcurrentStreams {
		g := goal{name: "proxy memory per open stream at " + grouped(n) + " concurrent streams", target: "≤ 32 KiB", measured: "not measured"}
		var parts []string
		ok, seen := true, 0
		for _, c := range r.conc.sizes {
			if c.streams != n || c.system == sysDirect {
				continue
			}
			if c.err != "" {
				parts = append(parts, c.system+": not run")
				ok = false
				continue
			}
			seen++
			parts = append(parts, fmt.Sprintf("%s: %.1f KiB", c.system, c.perStream()))
			ok = ok && c.perStream() <= 32 && c.completed == c.streams
		}
		if len(parts) > 0 {
			g.measured = strings.Join(parts, "; ")
		}
		if seen > 0 {
			g.met = verdict(ok)
		}
		gs = append(gs, g)
	}
	g := goal{
		name:   "first event at " + grouped(r.Config.FirstEventStreams) + " concurrent streams ÷ direct (p50, same round)",
		target: "≤ 1.5", measured: "not measured",
	}
	if v, _, ok := r.firstEventRatio(sysPolicy); ok {
		n, _, _ := r.firstEventRatio(sysNoPolicy)
		p50, _ := r.firstEvent(sysPolicy)
		d50, _ := r.firstEvent(sysDirect)
		g.measured = fmt.Sprintf("%.2f (%s vs %s direct; no policy %.2f)", v, ms(p50), ms(d50), n)
		g.met = verdict(v <= 1.5 && n <= 1.5)
	}
	return append(gs, g)
}

func (r *Results) concProblems() []string {
	var ps []string
	rows := append([]*concRow(nil), r.conc.sizes...)
	for _, name := range concSystems {
		rows = append(rows, r.conc.first[name]...)
	}
	for _, c := range rows {
		switch {
		case c.err != "":
			ps = append(ps, fmt.Sprintf("%d concurrent streams via %s: %s", c.streams, c.system, c.err))
		case c.completed != c.streams:
			ps = append(ps, fmt.Sprintf("%d concurrent streams via %s: %d completed%s", c.streams, c.system, c.completed, errSummary(c.errs)))
		}
	}
	if len(r.conc.sizes) != len(r.Config.ConcurrentStreams)*len(concSystems) {
		ps = append(ps, fmt.Sprintf("concurrent streams: %d of %d runs", len(r.conc.sizes), len(r.Config.ConcurrentStreams)*len(concSystems)))
	}
	return ps
}

// grouped writes n with a comma between groups of three digits: 10,000.
func grouped(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
