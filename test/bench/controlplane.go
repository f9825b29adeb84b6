package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

// cpRow is one control-plane size.
type cpRow struct {
	routes         int
	create, served time.Duration // creating the objects; creation start → last route served
	apply          []float64     // seconds from the update to the first request seeing it
	firstApply     float64       // the same for the first change after adding routes
	settled        time.Duration // from then until the controller had no status left to write
	write          []float64     // seconds from the update to the API server's answer
	applyFailures  int
	compileMean    float64 // seconds, over the compilations the toggles caused
	compiles       float64
	rssKiB, hwmKiB int64
	snapshotBytes  float64
	churnRequests  int64
	churnBad       int64
	err            string
}

// runControlPlane grows the number of routes through cfg.RouteSizes and, at each size,
// times policy changes while a steady client load runs.
func runControlPlane(ctx context.Context, cfg Config, c *cp, alice string, log func(string, ...any)) []cpRow {
	var rows []cpRow
	if err := c.createRange(ctx, 0, 1, 1); err != nil {
		return []cpRow{{err: err.Error()}}
	}
	if err := c.waitRoute(ctx, 0, alice, cfg.SizeTimeout); err != nil {
		return []cpRow{{err: err.Error()}}
	}
	load := startChurn(c, alice)
	have := 1
	for _, n := range cfg.RouteSizes {
		row := cpRow{routes: n}
		before := load.snapshot()
		if err := c.grow(ctx, &row, have, n, alice, cfg.SizeTimeout); err != nil {
			row.err = err.Error()
			rows = append(rows, row)
			log("routes %d: %v", n, err)
			break
		}
		have = n
		c.toggles(ctx, &row, cfg, alice)
		c.observe(&row)
		after := load.snapshot()
		row.churnRequests, row.churnBad = after.requests-before.requests, after.bad-before.bad
		log("routes %d: created in %s, served after %s, apply→enforced p50 %s p99 %s, churn %d/%d bad",
			n, row.create.Round(time.Millisecond), row.served.Round(time.Millisecond),
			ms(median(row.apply)), ms(quantile(row.apply, 0.99)), row.churnBad, row.churnRequests)
		rows = append(rows, row)
	}
	load.stop()
	return rows
}

// grow creates routes [have, n) and waits until the proxy serves the last one.
func (c *cp) grow(ctx context.Context, row *cpRow, have, n int, alice string, timeout time.Duration) error {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err := c.createRange(cctx, have, n, 16); err != nil {
		return err
	}
	row.create = time.Since(start)
	if err := c.waitRoute(cctx, n-1, alice, timeout-time.Since(start)); err != nil {
		return err
	}
	row.served = time.Since(start)
	return nil
}

// waitRoute waits until the i-th bench route answers 200 to alice.
func (c *cp) waitRoute(ctx context.Context, i int, alice string, timeout time.Duration) error {
	t := Target{URL: c.gatewayURL + benchPath(i), Body: requestBody, Token: fixed(alice), Want: http.StatusOK}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("waiting for %s: %w", benchPath(i), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return fmt.Errorf("no time left to wait for %s", benchPath(i))
	}
	return waitStatus(t, nil, timeout)
}

// pollInterval is the pause between two requests asking whether a change is enforced:
// the resolution of apply → enforced.
const pollInterval = time.Millisecond

// toggles flips the tutorial's RouteOption between a value alice's token holds and one it
// does not, timing each change until a request sees the new decision.
func (c *cp) toggles(ctx context.Context, row *cpRow, cfg Config, alice string) {
	n, timeout := cfg.Toggles, cfg.ChangeTimeout
	waitProfile := func() {}
	defer func() { waitProfile() }()
	m0, _ := scrape("http://" + c.metricsAddr + "/metrics")
	sum0, count0 := compileTotals(m0)
	poll := newClient(1)
	defer poll.CloseIdleConnections()
	t := Target{URL: c.gatewayURL + "/openai", Body: requestBody, Token: fixed(alice)}
	for k := range n + 1 {
		model, want := "gpt-4o", http.StatusForbidden
		if k%2 == 1 {
			model, want = "gpt-3.5-turbo", http.StatusOK
		}
		start := time.Now()
		if err := c.setTutorialClaim(ctx, model); err != nil {
			row.applyFailures++
			break
		}
		written := time.Since(start)
		seen := true
		for send(ctx, poll, t, 0) != want {
			if time.Since(start) > timeout || ctx.Err() != nil {
				seen = false
				break
			}
			// Polling back to back would take a core of two from the system measured.
			time.Sleep(pollInterval)
		}
		if k == 0 {
			// The first change after adding routes may wait for the controller's work on
			// the new objects; it is reported on its own, and the next ones start when
			// their statuses are written.
			row.firstApply = time.Since(start).Seconds()
			row.settled = c.waitStatusesWritten(ctx, timeout)
			waitProfile = c.profile(cfg, row.routes)
		} else {
			row.apply = append(row.apply, time.Since(start).Seconds())
			row.write = append(row.write, written.Seconds())
		}
		if !seen {
			// The next change would find the proxy already in its state: stop here.
			row.applyFailures++
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Leave alice allowed before the next size.
	if c.setTutorialClaim(ctx, "gpt-3.5-turbo") == nil {
		t.Want = http.StatusOK
		_ = waitStatus(t, nil, timeout)
	}
	m1, _ := scrape("http://" + c.metricsAddr + "/metrics")
	sum1, count1 := compileTotals(m1)
	if row.compiles = count1 - count0; row.compiles > 0 {
		row.compileMean = (sum1 - sum0) / row.compiles
	}
}

// waitStatusesWritten waits, up to timeout, until the controller has no status queued
// or being written, three scrapes in a row, and returns how long that took (-1 when the
// controller does not export its status queue).
func (c *cp) waitStatusesWritten(ctx context.Context, timeout time.Duration) time.Duration {
	start := time.Now()
	for quiet := 0; quiet < 3 && time.Since(start) < timeout && ctx.Err() == nil; {
		m, err := scrape("http://" + c.metricsAddr + "/metrics")
		n, found := statusBacklog(m)
		switch {
		case err == nil && !found:
			return -1
		case err == nil && n == 0:
			quiet++
		default:
			quiet = 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// profile starts, when cfg asks for profiles, a CPU profile of the controller about as
// long as the timed changes at size n, and returns what waits for it and then writes
// the controller's heap profile.
func (c *cp) profile(cfg Config, n int) (wait func()) {
	if cfg.ControlPlaneProfiles == "" || c.pprofAddr == "" {
		return func() {}
	}
	base := filepath.Join(cfg.ControlPlaneProfiles, fmt.Sprintf("controller-%d", n))
	// Each change takes a pause of 100 ms and its own time to be enforced.
	seconds := max(2, cfg.Toggles/4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.pprofAddr, seconds)
		if err := fetchTo(base+".cpu.pb.gz", url); err != nil {
			fmt.Fprintf(os.Stderr, "controller profile: %v\n", err)
		}
	}()
	return func() {
		<-done
		if err := fetchTo(base+".heap.pb.gz", "http://"+c.pprofAddr+"/debug/pprof/heap?gc=1"); err != nil {
			fmt.Fprintf(os.Stderr, "controller profile: %v\n", err)
		}
	}
}

// observe records the controller's memory and the snapshot's size.
func (c *cp) observe(row *cpRow) {
	row.rssKiB, _ = memKiB(c.controller.Pid(), "VmRSS")
	row.hwmKiB, _ = memKiB(c.controller.Pid(), "VmHWM")
	m, _ := scrape("http://" + c.metricsAddr + "/metrics")
	row.snapshotBytes = m[`claimgate_snapshot_size_bytes{gateway="`+stack.GatewayNamespace+"/"+stack.GatewayName+`"}`]
}

// quantile returns the q-quantile of xs (nearest rank, 0 when empty).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}
