package bench

import (
	"context"
	"sync"
	"time"
)

// OpenLoop sends rate requests per second for d, whatever the answers' pace, with up to
// workers requests in flight. Latency counts from the moment a request was due, so a
// request that waited for a free worker pays for it (no coordinated omission).
func OpenLoop(t Target, rate float64, workers int, d time.Duration) Result {
	c := newClient(workers)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	due := make(chan time.Time, workers*4)
	var tl tally
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, st, errs := make([]time.Duration, 0, 1024), map[int]int{}, 0
			for at := range due {
				code := send(ctx, c, t, tl.next.Add(1))
				if code == 0 {
					errs++
					continue
				}
				lat = append(lat, time.Since(at))
				st[code]++
			}
			tl.merge(lat, st, errs)
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			break
		}
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		due <- at
	}
	close(due)
	wg.Wait()
	return tl.result(t.Want, time.Since(start))
}
