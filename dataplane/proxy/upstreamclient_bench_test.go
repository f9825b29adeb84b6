//go:build unix

package proxy_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// BenchmarkUpstreamClient compares, side by side in one run, the proxy reaching its
// plain-HTTP upstream through net/http's transport and through the HTTP/1.1 client of
// dataplane/h1, without policy and with the tutorial's JWT + RBAC and a repeated token.
func BenchmarkUpstreamClient(b *testing.B) {
	for _, policy := range []string{"no-policy", "jwt-rbac-repeated-token"} {
		for _, client := range []string{"net-http", "h1"} {
			b.Run(policy+"/"+client, func(b *testing.B) {
				jwt := policy != "no-policy"
				trs := llm.NewTransports(llm.TransportConfig{NetHTTP: client == "net-http"})
				base := benchProxyTransports(b, trs, func(port uint32, backend string) *snapshotv1.Snapshot {
					return tutorial(b, port, backend, jwt, jwt)
				})
				tok := ""
				if jwt {
					tok = tokens.Alice(b)
				}
				cpu0 := processCPU()
				benchRequests(b, base, func(int64) string { return tok })
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// processCPU is the CPU time (user and system) the process has used, in nanoseconds:
// on a shared machine a steadier figure than the wall time per operation. It counts the
// client and the fake upstream as well as the proxy, alike for both transports.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchProxyTransports is benchProxy with the given upstream transports.
func benchProxyTransports(b *testing.B, trs *llm.Transports, build func(port uint32, backend string) *snapshotv1.Snapshot) string {
	b.Helper()
	return benchProxyTransportsWith(b, trs, fakellm.Config{Keep: -1}, build)
}

// benchProxyTransportsWith is benchProxyTransports with a fake backend configured so.
func benchProxyTransportsWith(b *testing.B, trs *llm.Transports, cfg fakellm.Config, build func(port uint32, backend string) *snapshotv1.Snapshot) string {
	b.Helper()
	fake := fakellm.New(cfg)
	fake.Start()
	b.Cleanup(fake.Close)
	auth := authn.New(authn.Config{Logger: logr.Discard()})
	srv, err := proxy.New(proxy.Config{Authenticator: auth, Logger: logr.Discard(), ListenHost: "127.0.0.1", Transports: trs})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{auth.Start, srv.Start} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	b.Cleanup(func() { cancel(); wg.Wait(); trs.CloseIdle() })
	port := freePort(b)
	s := build(port, fake.HostPort())
	require.NoError(b, snapshotv1.SetVersion(s))
	require.NoError(b, srv.Apply(s))
	return "http://127.0.0.1:" + itoa(port)
}

// BenchmarkUpstreamClientStreamBurst opens 200 streaming requests at once through the
// proxy, net/http's transport and h1's side by side, and reports the median and the
// slowest time to each stream's first event (the burst after a warm-up burst, so
// upstream connections are pooled for both).
func BenchmarkUpstreamClientStreamBurst(b *testing.B) {
	const streams = 200
	for _, client := range []string{"net-http", "h1"} {
		b.Run(client, func(b *testing.B) {
			trs := llm.NewTransports(llm.TransportConfig{NetHTTP: client == "net-http"})
			base := benchProxyTransportsWith(b, trs, fakellm.Config{Keep: -1, StreamChunks: 2, StreamDelay: 50 * time.Millisecond}, func(port uint32, backend string) *snapshotv1.Snapshot {
				return tutorial(b, port, backend, false, false)
			})
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams, MaxIdleConns: streams}}
			defer hc.CloseIdleConnections()
			burst(b, hc, base, streams) // warm-up
			var p50, worst time.Duration
			for b.Loop() {
				firsts := burst(b, hc, base, streams)
				slices.Sort(firsts)
				p50, worst = p50+firsts[len(firsts)/2], worst+firsts[len(firsts)-1]
			}
			b.ReportMetric(float64(p50.Microseconds())/float64(b.N), "first-p50-µs")
			b.ReportMetric(float64(worst.Microseconds())/float64(b.N), "first-max-µs")
		})
	}
}

// burst opens n streams at once and returns each one's time to its first event.
func burst(b *testing.B, hc *http.Client, base string, n int) []time.Duration {
	b.Helper()
	firsts := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			resp, err := hc.Post(base+"/openai", "application/json", strings.NewReader(`{"model":"gpt-4o","stream":true,"messages":[]}`))
			if err != nil {
				b.Error(err)
				return
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "data:") {
				b.Errorf("first line %q: %v", line, err)
				return
			}
			firsts[i] = time.Since(start)
			_, _ = io.Copy(io.Discard, resp.Body)
		})
	}
	wg.Wait()
	return firsts
}
