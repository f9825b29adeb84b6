package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// halfRate is the open-loop run at half of the policy system's saturation rate.
type halfRate struct {
	rate      float64
	p50, p99  map[string][]float64 // system → one value per round
	requests  map[string]int
	bad       map[string]int
	workers   int
	systemSet []string
}

// runHalfRate sends the same fixed rate to the backend directly, through claimgate and
// through HAProxy with the same checks, alternating the systems in rounds.
func (f *fixture) runHalfRate(sat float64) halfRate {
	h := halfRate{
		rate: sat / 2, p50: map[string][]float64{}, p99: map[string][]float64{},
		requests: map[string]int{}, bad: map[string]int{}, workers: 64,
		systemSet: []string{sysDirect, sysNoPolicy, sysPolicy},
	}
	if h.rate <= 0 {
		return h
	}
	// HAProxy at the same rate tells the machine's share of the tail from the proxy's.
	if s := f.system(sysHAProxy); s != nil && s.unavailable == "" {
		h.systemSet = append(h.systemSet, sysHAProxy)
	}
	for round := range f.cfg.Rounds {
		for _, name := range h.systemSet {
			if f.ctx.Err() != nil {
				return h
			}
			s := f.system(name)
			OpenLoop(s.target(), h.rate, h.workers, f.cfg.Warmup)
			r := OpenLoop(s.target(), h.rate, h.workers, f.cfg.Step)
			h.p50[name] = append(h.p50[name], seconds(r.Quantile(0.5)))
			h.p99[name] = append(h.p99[name], seconds(r.Quantile(0.99)))
			h.requests[name] += r.Requests
			h.bad[name] += r.Unexpected + r.Errors
			fmt.Fprintf(f.log, "round %d  %.0f req/s open loop  %-36s p50 %s p99 %s\n", round+1, h.rate, name,
				ms(seconds(r.Quantile(0.5))), ms(seconds(r.Quantile(0.99))))
		}
	}
	return h
}

// streamStats are one system's streamed answers: time to the first event and in total.
type streamStats struct {
	first, total []float64
	events       int // events per answer, [DONE] included, as last seen
	bad          int
}

// runStreaming asks each system, one request at a time, for streamed answers.
func (f *fixture) runStreaming() map[string]*streamStats {
	out := map[string]*streamStats{}
	c := newClient(1)
	defer c.CloseIdleConnections()
	for range f.cfg.Rounds {
		for _, name := range []string{sysDirect, sysNoPolicy, sysPolicy} {
			s := f.system(name)
			if out[name] == nil {
				out[name] = &streamStats{}
			}
			for range max(1, f.cfg.StreamRequests/f.cfg.Rounds) {
				if f.ctx.Err() != nil {
					return out
				}
				streamOnce(c, s, out[name])
			}
		}
	}
	return out
}

func streamOnce(c *http.Client, s *system, st *streamStats) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url, bytes.NewReader(streamBody))
	if err != nil {
		st.bad++
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != nil {
		req.Header.Set("Authorization", "Bearer "+s.token(0))
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		st.bad++
		return
	}
	defer resp.Body.Close()
	var first time.Duration
	events := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data:") {
			if events == 0 {
				first = time.Since(start)
			}
			events++
		}
	}
	if resp.StatusCode != http.StatusOK || sc.Err() != nil || events == 0 {
		st.bad++
		return
	}
	st.first = append(st.first, seconds(first))
	st.total = append(st.total, seconds(time.Since(start)))
	st.events = events
}
