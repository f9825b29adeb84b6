package bench

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// churn is a steady client load during control-plane changes. On /openai, whose policy
// the benchmark toggles, 200 and 403 are both expected; on /bench/0, whose objects never
// change, only 200 is. Anything else, and every transport error, is counted as bad.
type churn struct {
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	requests, bad atomic.Int64
}

type churnCount struct{ requests, bad int64 }

func startChurn(c *cp, alice string) *churn {
	ctx, cancel := context.WithCancel(context.Background())
	l := &churn{cancel: cancel}
	targets := []struct {
		t  Target
		ok map[int]bool
	}{
		{Target{URL: c.gatewayURL + "/openai", Body: requestBody, Token: fixed(alice)}, map[int]bool{http.StatusOK: true, http.StatusForbidden: true}},
		{Target{URL: c.gatewayURL + benchPath(0), Body: requestBody, Token: fixed(alice)}, map[int]bool{http.StatusOK: true}},
	}
	const workers = 4
	cl := newClient(workers)
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tg := targets[w%len(targets)]
			for ctx.Err() == nil {
				code := send(ctx, cl, tg.t, 0)
				if ctx.Err() != nil {
					return
				}
				l.requests.Add(1)
				if !tg.ok[code] {
					l.bad.Add(1)
				}
				time.Sleep(10 * time.Millisecond) // a steady load, not a flood
			}
		}()
	}
	return l
}

func (l *churn) snapshot() churnCount {
	return churnCount{requests: l.requests.Load(), bad: l.bad.Load()}
}

func (l *churn) stop() {
	l.cancel()
	l.wg.Wait()
}
