package authn

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func (e *env) hitsMisses(t *testing.T) (float64, float64) {
	t.Helper()
	return testutil.ToFloat64(e.a.metrics.cacheHits), testutil.ToFloat64(e.a.metrics.cacheMisses)
}

func TestCacheHonoursExp(t *testing.T) {
	e := newEnv(t)
	q := e.requirement(t, localProvider("p", rsaA.PublicPEM(t)))
	tok := rsaA.Mint(t, claims("", "exp", float64(testNow.Unix()+100)))

	requireOK(t, q, bearer(tok))
	hits, misses := e.hitsMisses(t)
	require.Equal(t, []float64{0, 1}, []float64{hits, misses})

	requireOK(t, q, bearer(tok))
	hits, _ = e.hitsMisses(t)
	require.Equal(t, 1.0, hits, "the second request is served from the cache")

	e.clock.Add(150 * time.Second) // past exp, within the 60 s skew
	requireOK(t, q, bearer(tok))
	hits, _ = e.hitsMisses(t)
	require.Equal(t, 2.0, hits)

	e.clock.Add(20 * time.Second) // past exp + skew
	requireFailure(t, q, bearer(tok), 401, "Jwt is expired")
	hits, misses = e.hitsMisses(t)
	require.Equal(t, []float64{2, 2}, []float64{hits, misses}, "an expired entry is never used")
}

func TestCacheHonoursNbf(t *testing.T) {
	e := newEnv(t)
	p := localProvider("p", rsaA.PublicPEM(t))
	p.ClockSkewSeconds = 0
	q := e.requirement(t, p)
	tok := rsaA.Mint(t, claims("", "nbf", float64(testNow.Unix())))
	requireOK(t, q, bearer(tok))
	e.clock.Add(-10 * time.Second)
	requireFailure(t, q, bearer(tok), 401, "Jwt not yet valid")
}

func TestCacheIsPerProviderConfiguration(t *testing.T) {
	e := newEnv(t)
	p := localProvider("p", rsaA.PublicPEM(t))
	p.Issuer = "https://a.example"
	tok := rsaA.Mint(t, claims("https://a.example"))
	requireOK(t, e.requirement(t, p), bearer(tok))
	requireOK(t, e.requirement(t, p), bearer(tok))
	hits, _ := e.hitsMisses(t)
	require.Equal(t, 1.0, hits, "the same configuration in a new snapshot reuses the entry")

	// The next snapshot changes the provider's issuer, audiences, keys: no reuse.
	changed := map[string]func(*snapshotv1.JwtProvider){
		"issuer":    func(p *snapshotv1.JwtProvider) { p.Issuer = "https://b.example" },
		"audiences": func(p *snapshotv1.JwtProvider) { p.Audiences = []string{"x"} },
		"key": func(p *snapshotv1.JwtProvider) {
			p.KeySource = &snapshotv1.JwtProvider_LocalJwks{LocalJwks: rsaB.PublicPEM(t)}
		},
	}
	want := map[string]string{
		"issuer": "Jwt issuer is not configured", "audiences": "Audiences in Jwt are not allowed", "key": "Jwt verification fails",
	}
	for name, mutate := range changed {
		t.Run(name, func(t *testing.T) {
			c := localProvider("p", rsaA.PublicPEM(t))
			c.Issuer = "https://a.example"
			mutate(c)
			r := bearer(tok)
			_, f := e.requirement(t, c).Authenticate(r)
			require.NotNil(t, f)
			require.Equal(t, want[name], f.Body)
		})
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newTokenCache(64)
	for i := range 1000 {
		c.put(cacheKey{token: [32]byte{byte(i), byte(i >> 8)}}, cacheEntry{})
	}
	require.LessOrEqual(t, c.len(), 64)
	require.Positive(t, c.len())
	// The most recent entry is still there; the oldest is gone.
	_, ok := c.get(cacheKey{token: [32]byte{byte(999 % 256), byte(999 >> 8)}})
	require.True(t, ok)
	_, ok = c.get(cacheKey{token: [32]byte{0, 0}})
	require.False(t, ok)
}

func TestConcurrentAuthenticate(t *testing.T) {
	e := newEnv(t)
	q := e.requirement(t, localProvider("p", rsaA.PublicPEM(t)))
	toks := make([]string, 8)
	for i := range toks {
		toks[i] = rsaA.Mint(t, claims("", "sub", fmt.Sprint(i)))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				tok := toks[(g+i)%len(toks)]
				got, f := q.Authenticate(bearer(tok))
				if f != nil || got[0].Claims["sub"] != fmt.Sprint((g+i)%len(toks)) {
					t.Errorf("token %d: %v", (g+i)%len(toks), f)
					return
				}
			}
		}()
	}
	wg.Wait()
}
