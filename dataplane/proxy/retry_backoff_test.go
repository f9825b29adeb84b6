package proxy

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// longest makes the back-off deterministic: always the top of its range.
func longest(n int64) int64 { return n - 1 }

// TestBackoffRange: retry n waits in [0, (2^n - 1) * base), capped at max, as Envoy does.
func TestBackoffRange(t *testing.T) {
	p := &retryPolicy{base: 10 * time.Millisecond, max: 100 * time.Millisecond, jitter: longest}
	tests := map[int]time.Duration{1: 10 * time.Millisecond, 2: 30 * time.Millisecond, 3: 70 * time.Millisecond, 4: 100 * time.Millisecond, 40: 100 * time.Millisecond, 70: 100 * time.Millisecond}
	for n, ceiling := range tests {
		require.Equal(t, ceiling-1, p.backoff(n), "retry %d", n)
	}
	rp, err := compileRetry(nil)
	require.NoError(t, err)
	require.Nil(t, rp)
	random := &retryPolicy{base: 10 * time.Millisecond, max: 100 * time.Millisecond, jitter: rand.N[int64]}
	for n, ceiling := range tests {
		for range 200 {
			d := random.backoff(n)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Less(t, d, ceiling)
		}
	}
}

// countingTripper answers 503 and records when each attempt arrived.
type countingTripper struct {
	mu sync.Mutex
	at []time.Time
}

func (c *countingTripper) RoundTrip(*http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
	return &http.Response{StatusCode: 503, Body: io.NopCloser(strings.NewReader("busy")), ContentLength: 4, Header: http.Header{}}, nil
}

func retryingAttempts(p *retryPolicy) *attempts {
	return &attempts{res: &resilience{retry: p}, up: &upstream{}, rw: &responseWriter{}}
}

// TestBackoffBetweenAttempts: retries wait their back-off (here the longest of its range)
// after the attempt before; only lower bounds are asserted.
func TestBackoffBetweenAttempts(t *testing.T) {
	p := &retryPolicy{on: retryOn5xx, retries: 2, base: 50 * time.Millisecond, max: time.Second, jitter: longest}
	ct := &countingTripper{}
	resp, err := retryingAttempts(p).roundTrip(httptest.NewRequest(http.MethodGet, "http://u/", nil), ct)
	require.NoError(t, err)
	require.Equal(t, 503, resp.StatusCode)
	require.Len(t, ct.at, 3)
	require.GreaterOrEqual(t, ct.at[1].Sub(ct.at[0]), 50*time.Millisecond-time.Nanosecond)
	require.GreaterOrEqual(t, ct.at[2].Sub(ct.at[1]), 150*time.Millisecond-time.Nanosecond)
}

// TestBackoffEndsWithTheRequest: a back-off longer than what is left of the request ends
// with the request's context, and no further attempt is made.
func TestBackoffEndsWithTheRequest(t *testing.T) {
	p := &retryPolicy{on: retryOn5xx, retries: 5, base: time.Minute, max: time.Minute, jitter: longest}
	ct := &countingTripper{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := retryingAttempts(p).roundTrip(httptest.NewRequestWithContext(ctx, http.MethodGet, "http://u/", nil), ct)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 10*time.Second)
	require.Len(t, ct.at, 1)
}
