package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Target is what a load run sends: a POST of Body to URL, with the bearer token Token(i)
// for the i-th request (none when Token is nil or returns ""), expecting status Want.
type Target struct {
	URL   string
	Body  []byte
	Token func(i uint64) string
	Want  int
}

// Result is what one load run saw.
type Result struct {
	Requests   int
	Unexpected int // answers with another status than Target.Want
	Errors     int // transport errors
	Elapsed    time.Duration
	Latencies  []time.Duration // sorted
	Statuses   map[int]int
}

// RPS is the answered requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Quantile returns the q-quantile of the latencies (0 when there are none).
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(r.Latencies)-1))
	return r.Latencies[i]
}

// newClient returns a keep-alive client whose pool holds conns connections to one host.
func newClient(conns int) *http.Client {
	tr := &http.Transport{
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: 0,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// worker state shared by the closed and open loops.
type tally struct {
	mu       sync.Mutex
	lat      []time.Duration
	statuses map[int]int
	errors   int
	next     atomic.Uint64
}

func (t *tally) merge(lat []time.Duration, st map[int]int, errs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lat = append(t.lat, lat...)
	if t.statuses == nil {
		t.statuses = map[int]int{}
	}
	for k, v := range st {
		t.statuses[k] += v
	}
	t.errors += errs
}

func (t *tally) result(want int, elapsed time.Duration) Result {
	sort.Slice(t.lat, func(i, j int) bool { return t.lat[i] < t.lat[j] })
	r := Result{Elapsed: elapsed, Latencies: t.lat, Statuses: t.statuses, Errors: t.errors}
	for code, n := range t.statuses {
		r.Requests += n
		if code != want {
			r.Unexpected += n
		}
	}
	return r
}

// send performs one request and returns its status, or 0 on a transport error.
func send(ctx context.Context, c *http.Client, t Target, i uint64) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if t.Token != nil {
		if tok := t.Token(i); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// ClosedLoop runs conc clients, each sending its next request as soon as the previous
// one is answered, for d.
func ClosedLoop(t Target, conc int, d time.Duration) Result {
	c := newClient(conc)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	var tl tally
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, st, errs := make([]time.Duration, 0, 1024), map[int]int{}, 0
			for time.Now().Before(stop) {
				t0 := time.Now()
				code := send(ctx, c, t, tl.next.Add(1))
				if code == 0 {
					errs++
					continue
				}
				lat = append(lat, time.Since(t0))
				st[code]++
			}
			tl.merge(lat, st, errs)
		}()
	}
	wg.Wait()
	return tl.result(t.Want, time.Since(start))
}

// SplitLoop runs a closed loop against every target at once, conc clients shared out
// evenly (several proxies of one Gateway taking one load), for d, and returns the runs
// merged as one.
func SplitLoop(ts []Target, conc int, d time.Duration) Result {
	rs := make([]Result, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		n := conc / len(ts)
		if i < conc%len(ts) {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i] = ClosedLoop(t, max(1, n), d)
		}()
	}
	wg.Wait()
	return mergeResults(rs)
}

// mergeResults adds up runs that ran side by side: their elapsed time is the longest.
func mergeResults(rs []Result) Result {
	out := Result{Statuses: map[int]int{}}
	for _, r := range rs {
		out.Requests += r.Requests
		out.Unexpected += r.Unexpected
		out.Errors += r.Errors
		out.Elapsed = max(out.Elapsed, r.Elapsed)
		out.Latencies = append(out.Latencies, r.Latencies...)
		for code, n := range r.Statuses {
			out.Statuses[code] += n
		}
	}
	sort.Slice(out.Latencies, func(i, j int) bool { return out.Latencies[i] < out.Latencies[j] })
	return out
}
