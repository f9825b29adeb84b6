package bench

import (
	"fmt"
	"sort"
	"time"
)

// stepStats gathers one system's runs at one concurrency, one entry per round.
type stepStats struct {
	rps, p50, p90, p99, cpuPer1k []float64
	peakRSSKiB                   int64
	requests, bad                int // bad: unexpected statuses plus transport errors
}

// throughput is system name → concurrency → stats.
type throughput map[string]map[int]*stepStats

func (t throughput) at(system string, conc int) *stepStats {
	if t[system] == nil {
		t[system] = map[int]*stepStats{}
	}
	if t[system][conc] == nil {
		t[system][conc] = &stepStats{}
	}
	return t[system][conc]
}

// runThroughput alternates the systems: in every round, every concurrency step runs
// each system once, so drift on the shared machine spreads over all of them.
func (f *fixture) runThroughput() throughput {
	out := throughput{}
	for round := range f.cfg.Rounds {
		for _, conc := range f.cfg.Concurrency {
			for _, s := range f.systems {
				if f.ctx.Err() != nil {
					return out
				}
				if s.unavailable != "" {
					continue
				}
				st := out.at(s.name, conc)
				f.measure(s, conc, st)
				fmt.Fprintf(f.log, "round %d  c=%-3d %-36s %8.0f req/s  p99 %s\n", round+1, conc, s.name,
					st.rps[len(st.rps)-1], ms(st.p99[len(st.p99)-1]))
			}
		}
	}
	return out
}

// measure runs one closed-loop step after a warm-up and records it in st.
func (f *fixture) measure(s *system, conc int, st *stepStats) {
	t := s.target()
	ClosedLoop(t, conc, f.cfg.Warmup)
	cpu0 := procCPU(s.proc)
	r := ClosedLoop(t, conc, f.cfg.Step)
	cpu1 := procCPU(s.proc)
	st.rps = append(st.rps, r.RPS())
	st.p50 = append(st.p50, seconds(r.Quantile(0.50)))
	st.p90 = append(st.p90, seconds(r.Quantile(0.90)))
	st.p99 = append(st.p99, seconds(r.Quantile(0.99)))
	if s.proc != nil && r.Requests > 0 {
		st.cpuPer1k = append(st.cpuPer1k, (cpu1-cpu0)/float64(r.Requests)*1000)
		if hwm, err := memKiB(s.proc.Pid(), "VmHWM"); err == nil {
			st.peakRSSKiB = max(st.peakRSSKiB, hwm)
		}
	}
	st.requests += r.Requests
	st.bad += r.Unexpected + r.Errors
}

func procCPU(p *proc) float64 {
	if p == nil {
		return 0
	}
	c, err := cpuSeconds(p.Pid())
	if err != nil {
		return 0
	}
	return c
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// median returns the median of xs (0 when empty).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ms formats seconds as milliseconds.
func ms(sec float64) string { return fmt.Sprintf("%.3f ms", sec*1000) }

// saturation is a system's best median throughput over the concurrency steps.
func (t throughput) saturation(system string) float64 {
	best := 0.0
	for _, st := range t[system] {
		best = max(best, median(st.rps))
	}
	return best
}
