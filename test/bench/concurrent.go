package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/fakellm"
)

// gatedBackend is the fake LLM whose streams, once armed, stop before their last event
// until released: a batch of streams then stays open as long as the scenario needs. It
// speaks HTTP/1.1 and prior-knowledge HTTP/2 (h2c).
type gatedBackend struct {
	srv  *http.Server
	addr string
	h    atomic.Pointer[fakellm.Backend]
}

func startGatedBackend() (*gatedBackend, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the backend: %w", err)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	g := &gatedBackend{addr: ln.Addr().String()}
	g.srv = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { g.h.Load().ServeHTTP(w, r) }),
		ReadHeaderTimeout: 30 * time.Second, Protocols: protocols,
	}
	g.arm()
	go func() { _ = g.srv.Serve(ln) }()
	return g, nil
}

// arm makes the streams that start from now on wait before their last event until the
// returned function is called.
func (g *gatedBackend) arm() (release func()) {
	gate := make(chan struct{})
	g.h.Store(fakellm.NewBackend(fakellm.Config{
		Keep: -1, StreamChunks: streamChunks, StreamDelay: 10 * time.Millisecond, StreamGate: gate,
	}))
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

func (g *gatedBackend) close() { _ = g.srv.Close() }

// streamChunks is the content events of a gated stream: the first two arrive 10 ms
// apart, the last when the batch is released, then [DONE].
const streamChunks = 3

// batch is what a batch of streams held open at once saw.
type batch struct {
	opened, completed int
	first             []float64 // seconds to the first event, sorted
	errs              map[string]int
}

// holdStreams opens n streams at once through c, waits until every one has had its first
// event (or until timeout), calls atOpen, releases the backend's gate and waits for the
// streams to end.
func holdStreams(ctx context.Context, g *gatedBackend, c streamClient, target, token string, n int,
	timeout time.Duration, atOpen func(opened int),
) batch {
	release := g.arm()
	defer release()
	ctx, cancel := context.WithTimeout(ctx, timeout+time.Minute)
	defer cancel()
	var opened atomic.Int64
	all := make(chan struct{})
	results := make([]streamResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = openStream(ctx, c, i, target, token, func() {
				if opened.Add(1) == int64(n) {
					close(all)
				}
			})
		})
	}
	select {
	case <-all:
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	atOpen(int(opened.Load()))
	release()
	wg.Wait()
	b := batch{opened: int(opened.Load()), errs: map[string]int{}}
	for _, r := range results {
		if r.first > 0 {
			b.first = append(b.first, seconds(r.first))
		}
		switch {
		case r.done && r.events == streamChunks+1:
			b.completed++
		case r.err != "":
			b.errs[r.err]++
		default:
			b.errs[fmt.Sprintf("%d events instead of %d", r.events, streamChunks+1)]++
		}
	}
	sort.Float64s(b.first)
	return b
}
