package bench

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// concRow is one run of the concurrent-streams scenario: n streams held open at once
// through one system, started fresh for the run.
type concRow struct {
	system  string
	streams int
	http2   bool
	why     string // why the clients speak HTTP/2
	conns   int    // client connections
	batch
	// The proxy before the batch, after a warm-up, and once every stream had its first
	// event; zero for direct.
	before, open proxySample
	err          string // why the run could not happen
}

// proxySample is what the proxy process uses at one moment.
type proxySample struct {
	rssKiB int64 // /proc VmRSS
	// From its /metrics: goroutines, and the bytes of heap spans and of goroutine
	// stacks in use.
	goroutines, heap, stacks float64
}

// perStream is the proxy's RSS growth per open stream, in KiB.
func (c *concRow) perStream() float64 {
	if c.opened == 0 {
		return 0
	}
	return float64(c.open.rssKiB-c.before.rssKiB) / float64(c.opened)
}

// growth is the growth per open stream of one of the proxy's figures.
func (c *concRow) growth(f func(proxySample) float64) float64 {
	if c.opened == 0 {
		return 0
	}
	return (f(c.open) - f(c.before)) / float64(c.opened)
}

// concurrent is the concurrent-streams scenario: memory at each size, and the first
// event at FirstEventStreams in rounds.
type concurrent struct {
	sizes []*concRow
	first map[string][]*concRow // system → one row per round
}

var concSystems = []string{sysDirect, sysNoPolicy, sysPolicy}

// runConcurrent holds ConcurrentStreams streams open at once through each system, then
// times the first event of FirstEventStreams streams opened at once, alternating the
// systems in rounds.
func (f *fixture) runConcurrent() concurrent {
	out := concurrent{first: map[string][]*concRow{}}
	for _, n := range f.cfg.ConcurrentStreams {
		for _, name := range concSystems {
			if f.ctx.Err() != nil {
				return out
			}
			row := f.concurrentRun(name, n, true)
			out.sizes = append(out.sizes, row)
			f.logConc(row)
		}
	}
	for range f.cfg.FirstEventRounds {
		for _, name := range concSystems {
			if f.ctx.Err() != nil || f.cfg.FirstEventStreams <= 0 {
				return out
			}
			row := f.concurrentRun(name, f.cfg.FirstEventStreams, false)
			out.first[name] = append(out.first[name], row)
			f.logConc(row)
		}
	}
	return out
}

func (f *fixture) logConc(c *concRow) {
	if c.err != "" {
		fmt.Fprintf(f.log, "%d streams  %-36s %s\n", c.streams, c.system, c.err)
		return
	}
	fmt.Fprintf(f.log, "%d streams  %-36s opened %d completed %d  first p50 %s p99 %s  per stream: RSS %.1f KiB, heap %.1f KiB, stacks %.1f KiB, %.2f goroutines\n",
		c.streams, c.system, c.opened, c.completed, ms(quantile(c.first, 0.5)), ms(quantile(c.first, 0.99)),
		c.perStream(), c.growth(heapKiB), c.growth(stackKiB), c.growth(goroutines))
}

// concurrentRun starts a gated backend and, unless name is direct, a proxy for this run
// alone, warms it up, then holds n streams open at once.
func (f *fixture) concurrentRun(name string, n int, profile bool) *concRow {
	row := &concRow{system: name, streams: n}
	b, err := startGatedBackend()
	if err != nil {
		row.err = err.Error()
		return row
	}
	defer b.close()
	target, admin := "http://"+b.addr+"/v1/chat/completions", ""
	var p *proc
	token := ""
	if name != sysDirect {
		if p, target, admin, err = f.startConcProxy(name, b); err != nil {
			row.err = err.Error()
			return row
		}
		defer p.Stop(5 * time.Second)
		token = f.good
	}
	// Each stream holds two connections in one process: the proxy's client and upstream
	// ends, or, direct, this process's client and server ends.
	if limit := fdLimit(f.cfg.StreamFDLimit); 2*n+100 > limit {
		row.http2 = true
		row.why = fmt.Sprintf("%d streams over HTTP/1.1 need %d connections' descriptors in one process, more than its limit of %d",
			n, 2*n, limit)
	}
	c, err := f.streamClient(row, target, n)
	if err != nil {
		row.err = err.Error()
		return row
	}
	defer c.close()
	row.conns = c.conns()
	warm := holdStreams(f.ctx, b, c, target, token, warmStreams(n, profile), f.cfg.StreamOpenTimeout, func(int) {})
	if warm.completed == 0 {
		row.err = fmt.Sprintf("no warm-up stream completed: %v", warm.errs)
		return row
	}
	time.Sleep(200 * time.Millisecond)
	if !profile && f.cfg.StreamProfiles != "" && p != nil {
		defer f.profileCPU(admin, fmt.Sprintf("%s-%d", procName(name), n))()
	}
	row.before = sampleProxy(p, admin)
	row.batch = holdStreams(f.ctx, b, c, target, token, n, f.cfg.StreamOpenTimeout, func(int) {
		time.Sleep(100 * time.Millisecond) // the second event of every stream arrives
		row.open = sampleProxy(p, admin)
		if profile && f.cfg.StreamProfiles != "" && p != nil {
			f.saveProfiles(admin, fmt.Sprintf("%s-%d", procName(name), n))
		}
	})
	return row
}

// warmStreams is the size of the batch that warms a system up before a run of n
// streams: for the first-event runs the same n, so the proxy's upstream pool holds the
// connections a steady load keeps open (up to 256 a host); for the memory runs 50, so
// that nearly every stream measured brings its own upstream connection.
func warmStreams(n int, memory bool) int {
	if memory {
		return min(n, 50)
	}
	return n
}

func (f *fixture) startConcProxy(name string, b *gatedBackend) (*proc, string, string, error) {
	var extra []string
	if f.cfg.StreamProfiles != "" {
		extra = append(extra, "--pprof")
	}
	p, url, admin, err := startClaimgateAdmin(f.dir, f.cfg.Bin, procName(name)+"-streams", gatedPort(b), f.pem,
		name == sysPolicy, extra...)
	if err != nil {
		return nil, "", "", err
	}
	if err := waitStatus(Target{URL: url, Body: requestBody, Token: fixed(f.good), Want: http.StatusOK}, p, 10*time.Second); err != nil {
		p.Stop(5 * time.Second)
		return nil, "", "", err
	}
	return p, url, admin, nil
}

func gatedPort(b *gatedBackend) int { return (&backend{addr: b.addr}).port() }

func (f *fixture) streamClient(row *concRow, target string, n int) (streamClient, error) {
	if row.http2 {
		return newH2Client(f.ctx, target, n)
	}
	return newH1Client(n), nil
}

// sampleProxy returns what p uses now; zeros without a proxy.
func sampleProxy(p *proc, admin string) proxySample {
	if p == nil {
		return proxySample{}
	}
	var s proxySample
	s.rssKiB, _ = memKiB(p.Pid(), "VmRSS")
	if m, err := scrape("http://" + admin + "/metrics"); err == nil {
		s.goroutines, s.heap, s.stacks = m["go_goroutines"], m["go_memstats_heap_inuse_bytes"], m["go_memstats_stack_inuse_bytes"]
	}
	return s
}

// saveProfiles writes the proxy's heap and goroutine profiles to StreamProfiles.
func (f *fixture) saveProfiles(admin, name string) {
	for file, path := range map[string]string{
		name + ".heap.pb.gz":     "/debug/pprof/heap?gc=1",
		name + ".goroutines.txt": "/debug/pprof/goroutine?debug=1",
	} {
		if err := fetchTo(filepath.Join(f.cfg.StreamProfiles, file), "http://"+admin+path); err != nil {
			fmt.Fprintf(f.log, "profile %s: %v\n", file, err)
		}
	}
}

// profileCPU starts a CPU profile of the proxy, written to StreamProfiles, and returns
// what waits for it.
func (f *fixture) profileCPU(admin, name string) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		dst := filepath.Join(f.cfg.StreamProfiles, fmt.Sprintf("%s.%d.cpu.pb.gz", name, time.Now().UnixNano()))
		if err := fetchTo(dst, "http://"+admin+"/debug/pprof/profile?seconds=2"); err != nil {
			fmt.Fprintf(f.log, "profile %s: %v\n", dst, err)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	return func() { <-done }
}

func fetchTo(dst, url string) error {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url) //nolint:noctx // a local profile with a timeout
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	out, err := os.Create(dst) //nolint:gosec // a path the operator chose
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	defer out.Close()
	if _, err := io.Copy(out, resp.Body); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

func heapKiB(s proxySample) float64    { return s.heap / 1024 }
func stackKiB(s proxySample) float64   { return s.stacks / 1024 }
func goroutines(s proxySample) float64 { return s.goroutines }
