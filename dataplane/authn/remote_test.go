package authn

import (
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/tokens"
)

// noKid copies a key without its kid.
func noKid(k *tokens.Key) *tokens.Key { return &tokens.Key{Alg: k.Alg, Private: k.Private} }

func TestRemoteJWKSRefresh(t *testing.T) {
	e := newEnv(t)
	a, b := noKid(rsaA), noKid(rsaB)
	srv := tokens.ServeJWKS(t, a)
	q := e.requirement(t, remoteProvider("r", srv.URL, 100*time.Millisecond))

	requireOK(t, q, bearer(a.Mint(t, claims(""))))
	requireFailure(t, q, bearer(b.Mint(t, claims(""))), 401, "Jwt verification fails")

	srv.SetKeys(t, b)
	require.Eventually(t, func() bool {
		_, f := q.Authenticate(bearer(b.Mint(t, claims(""))))
		return f == nil
	}, 5*time.Second, 50*time.Millisecond, "the refreshed set verifies the new key")
	requireFailure(t, q, bearer(a.Mint(t, claims(""))), 401, "Jwt verification fails")
}

func TestRemoteJWKSServerDownKeepsLastGoodSet(t *testing.T) {
	e := newEnv(t)
	srv := tokens.ServeJWKS(t, rsaA)
	q := e.requirement(t, remoteProvider("r", srv.URL, 50*time.Millisecond))
	requireOK(t, q, bearer(rsaA.Mint(t, claims(""))))

	srv.SetFailing(true)
	before := srv.Hits()
	require.Eventually(t, func() bool { return srv.Hits() >= before+2 }, 5*time.Second, 20*time.Millisecond)
	requireOK(t, q, bearer(rsaA.Mint(t, claims("", "sub", "fresh")))) // a new token: no cache

	srv.SetBody(`{"keys":"not a list"}`)
	srv.SetFailing(false)
	before = srv.Hits()
	require.Eventually(t, func() bool { return srv.Hits() >= before+2 }, 5*time.Second, 20*time.Millisecond)
	requireOK(t, q, bearer(rsaA.Mint(t, claims("", "sub", "fresher")))) // an unparsable set is a failed refresh
}

func TestRemoteJWKSUnknownKidRefetchesOnce(t *testing.T) {
	e := newEnv(t)
	srv := tokens.ServeJWKS(t, rsaA)
	q := e.requirement(t, remoteProvider("r", srv.URL, time.Hour))
	requireOK(t, q, bearer(rsaA.Mint(t, claims(""))))
	require.EqualValues(t, 1, srv.Hits())

	srv.SetKeys(t, rsaA, rsaB)
	requireOK(t, q, bearer(rsaB.Mint(t, claims(""))))
	require.EqualValues(t, 2, srv.Hits(), "a token with an unknown kid refetches the set early")

	unknown := &tokens.Key{Kid: "c", Alg: "RS256", Private: rsaA.Private}
	requireFailure(t, q, bearer(unknown.Mint(t, claims(""))), 401, noKey)
	requireFailure(t, q, bearer(unknown.Mint(t, claims("", "n", 2))), 401, noKey)
	require.EqualValues(t, 2, srv.Hits(), "early refetches are rate-limited")

	e.clock.Add(11 * time.Second)
	requireFailure(t, q, bearer(unknown.Mint(t, claims(""))), 401, noKey)
	require.EqualValues(t, 3, srv.Hits(), "after the interval one more early refetch is allowed")
}

func TestRemoteJWKSNeverFetched(t *testing.T) {
	e := newEnv(t)
	srv := tokens.ServeJWKS(t, rsaA)
	srv.SetFailing(true)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := map[string]*snapshotv1.JwtProvider{
		"server answers 503": remoteProvider("r", srv.URL, time.Hour),
		"nothing listens":    remoteProvider("c", closed.URL, time.Hour),
		"url is not http(s)": remoteProvider("u", "file:///etc/jwks.json", time.Hour),
		"url is not a URL":   remoteProvider("v", "::nope", time.Hour),
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			requireFailure(t, e.requirement(t, p), bearer(rsaA.Mint(t, claims(""))), 401, "Jwks remote fetch is failed")
		})
	}
	// Once the server answers, the set is fetched (early, on demand) and tokens verify.
	q := e.requirement(t, tests["server answers 503"])
	srv.SetFailing(false)
	e.clock.Add(time.Minute)
	requireOK(t, q, bearer(rsaA.Mint(t, claims(""))))
}

func TestRemoteJWKSFetchersAreSharedAndReleased(t *testing.T) {
	e := newEnv(t)
	srv := tokens.ServeJWKS(t, rsaA)
	p := remoteProvider("r", srv.URL, time.Hour)
	tok := rsaA.Mint(t, claims(""))
	func() {
		q1 := e.requirement(t, p)
		q2 := e.requirement(t, p) // the next snapshot with the same key set
		requireOK(t, q1, bearer(tok))
		requireOK(t, q2, bearer(tok))
		require.Equal(t, 1, e.a.fetcherCount())
		require.EqualValues(t, 1, srv.Hits(), "the set is fetched once for both snapshots")

		other := remoteProvider("r", srv.URL, 2*time.Hour)
		q3 := e.requirement(t, other)
		requireOK(t, q3, bearer(tok))
		require.Equal(t, 2, e.a.fetcherCount(), "another duration is another fetcher")
	}()
	require.Eventually(t, func() bool {
		runtime.GC()
		return e.a.fetcherCount() == 0
	}, 5*time.Second, 20*time.Millisecond, "fetchers no snapshot uses are stopped")
}

func TestRemoteJWKSEndpoint(t *testing.T) {
	e := newEnv(t)
	body := tokens.JWKS(t, rsaA)
	var mu sync.Mutex
	var hosts []string
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), hosts...)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		_, _ = w.Write([]byte(body))
	})
	plain := httptest.NewServer(handler)
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(handler)
	secure.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-CA case makes handshakes fail
	secure.StartTLS()
	t.Cleanup(secure.Close)
	endpoint := func(s *httptest.Server, tls bool) *snapshotv1.Endpoint {
		u, err := url.Parse(s.URL)
		require.NoError(t, err)
		host, port, err := net.SplitHostPort(u.Host)
		require.NoError(t, err)
		n, err := strconv.Atoi(port)
		require.NoError(t, err)
		ep := &snapshotv1.Endpoint{Host: host, Port: uint32(n), Tls: tls}
		if tls {
			ep.CaPem = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
		}
		return ep
	}
	tests := map[string]struct {
		url      string
		endpoint *snapshotv1.Endpoint
		host     string
	}{
		"plain": {"http://jwks.internal.example/keys", endpoint(plain, false), "jwks.internal.example"},
		// httptest's certificate is for example.com: SNI and verification use the url's host.
		"tls": {"https://example.com:9443/keys", endpoint(secure, true), "example.com:9443"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			hosts = nil
			mu.Unlock()
			p := remoteProvider(name, tc.url, time.Hour)
			p.GetRemoteJwks().Endpoint = tc.endpoint
			requireOK(t, e.requirement(t, p), bearer(rsaA.Mint(t, claims(""))))
			require.Equal(t, []string{tc.host}, seen())
		})
	}
	t.Run("tls with an untrusted CA", func(t *testing.T) {
		p := remoteProvider("untrusted", "https://example.com/keys", time.Hour)
		ep := endpoint(secure, true)
		ep.CaPem = nil
		p.GetRemoteJwks().Endpoint = ep
		requireFailure(t, e.requirement(t, p), bearer(rsaA.Mint(t, claims(""))), 401, "Jwks remote fetch is failed")
	})
}
