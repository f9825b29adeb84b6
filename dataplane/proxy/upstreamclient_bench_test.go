//go:build unix

package proxy_test

import (
	"context"
	"sync"
	"syscall"
	"testing"

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
	fake := fakellm.New(fakellm.Config{Keep: -1})
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
