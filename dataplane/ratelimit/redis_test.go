package ratelimit

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestRedisStoreCounts: increments add up across Applies, a read creates nothing, and a
// counter gets its window's end as expiry.
func TestRedisStoreCounts(t *testing.T) {
	srv := startRedis(t)
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}})
	end := time.Now().Add(time.Hour).Truncate(time.Second)
	ctx := context.Background()
	counts := make([]uint64, 3)
	require.NoError(t, s.Apply(ctx, []Hit{
		{Key: []byte("a"), Amount: 1, Expires: end},
		{Key: []byte("b"), Amount: 5, Expires: end},
		{Key: []byte("a"), Amount: 1, Expires: end},
	}, counts))
	require.Equal(t, []uint64{1, 5, 2}, counts)
	require.NoError(t, s.Apply(ctx, []Hit{{Key: []byte("a"), Expires: end}, {Key: []byte("c"), Expires: end}}, counts[:2]))
	require.Equal(t, []uint64{2, 0}, counts[:2], "reads")
	require.Equal(t, "0", srv.cli("EXISTS", redisKey("c")), "a read creates nothing")

	require.Equal(t, strconv.FormatInt(end.Unix(), 10), srv.cli("EXPIRETIME", redisKey("a")))
	require.Equal(t, strconv.FormatInt(end.Unix(), 10), srv.cli("EXPIRETIME", redisKey("b")))
	ttl, err := strconv.Atoi(srv.cli("TTL", redisKey("a")))
	require.NoError(t, err)
	require.InDelta(t, time.Hour.Seconds(), ttl, 2)

	// A window that has ended by the server's clock is counted, then dropped.
	require.NoError(t, s.Apply(ctx, []Hit{{Key: []byte("old"), Amount: 3, Expires: time.Now().Add(-time.Minute)}}, counts[:1]))
	require.Equal(t, uint64(3), counts[0])
	require.Equal(t, "0", srv.cli("EXISTS", redisKey("old")))
}

// TestRedisStoreOneRoundTrip: an Apply is one pipeline: one write to the server
// whatever its hits, which runs INCRBY and EXPIREAT per increment and GET per read.
func TestRedisStoreOneRoundTrip(t *testing.T) {
	srv := startRedis(t)
	writes := newWriteCounter()
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, wrapConn: writes.wrap, OverLimitKeys: -1})
	hs := hits("user", "address", "global")
	hs[2].Amount = 0
	mustApply(t, s, hs) // warm

	writes.reset()
	before := srv.calls("incrby", "expireat", "get")
	const applies = 10
	for range applies {
		mustApply(t, s, hs)
	}
	after := srv.calls("incrby", "expireat", "get")
	require.Equal(t, applies, writes.total(), "one write (pipeline) per Apply")
	require.Equal(t, 2*applies, after["incrby"]-before["incrby"])
	require.Equal(t, 2*applies, after["expireat"]-before["expireat"])
	require.Equal(t, applies, after["get"]-before["get"])
}

// TestRedisSharedBudget: two proxies' limiters sharing one server share a budget: the
// requests they admit and the tokens they charge add up exactly.
func TestRedisSharedBudget(t *testing.T) {
	srv := startRedis(t)
	clk := futureWindow()
	var proxies [2]*Limiter
	for i := range proxies {
		s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, Now: clk.Now})
		proxies[i] = New(Config{Store: s, Now: clk.Now})
	}

	requests := mustCompile(t, lab6(5, false))
	admitted := 0
	for i := range 10 {
		d := check(t, proxies[i%2], user("alice"), requests)
		require.NoError(t, d.Err())
		if !d.Over() {
			admitted++
		}
	}
	require.Equal(t, 5, admitted, "5 per hour, between both proxies")

	pb := lab6(100, true)
	pb.Name = "ns/tokens"
	tokens := mustCompile(t, pb)
	for i := range 4 {
		d := check(t, proxies[i%2], user("alice"), tokens)
		require.False(t, d.Over(), "charge %d", i+1)
		require.NoError(t, d.Settle(context.Background(), 25))
	}
	d := check(t, proxies[0], user("alice"), tokens)
	require.True(t, d.Over(), "4×25 tokens charged through two proxies reach 100")
	d = check(t, proxies[1], user("alice"), tokens)
	require.True(t, d.Over())
	require.False(t, check(t, proxies[1], user("bob"), tokens).Over())
}

// TestRedisOverLimitFlood: once a counter is known over its limit, a flood of checks on
// it is answered without Redis; another counter still goes to Redis, and a raised limit
// is not answered from the memory.
func TestRedisOverLimitFlood(t *testing.T) {
	srv := startRedis(t)
	clk := futureWindow()
	writes := newWriteCounter()
	reg := prometheus.NewRegistry()
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, Now: clk.Now, wrapConn: writes.wrap, Registerer: reg})
	l := New(Config{Store: s, Now: clk.Now})
	p := mustCompile(t, lab6(3, false))
	for range 3 {
		require.False(t, check(t, l, user("alice"), p).Over())
	}

	writes.reset()
	before := srv.calls("incrby")
	const flood = 1000
	for range flood {
		d := check(t, l, user("alice"), p)
		require.True(t, d.Over())
		require.NoError(t, d.Err())
	}
	require.Zero(t, writes.total(), "no round trip")
	require.Zero(t, srv.calls("incrby")["incrby"]-before["incrby"])
	require.InDelta(t, flood, testutil.ToFloat64(s.metrics.local), 0)
	require.Equal(t, 1, s.over.len())

	require.False(t, check(t, l, user("bob"), p).Over(), "bob's counter is in Redis")
	require.Equal(t, 1, writes.total())

	raised := mustCompile(t, lab6(10, false))
	d := check(t, l, user("alice"), raised)
	require.False(t, d.Over(), "the limit was raised: 4 of 10")
	require.Equal(t, uint64(6), d.Statuses()[0].Remaining)
	require.Equal(t, 2, writes.total())

	// The memory forgets the counter with its window.
	clk.Advance(time.Hour)
	require.False(t, check(t, l, user("alice"), p).Over(), "a new hour")
	require.Equal(t, 3, writes.total())
}

// TestRedisConcurrent: concurrent Applies, pipelined together on shared connections,
// all count (run with -race).
func TestRedisConcurrent(t *testing.T) {
	srv := startRedis(t)
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}})
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			counts := make([]uint64, 2)
			for range each {
				hs := hits("shared", "other")
				hs[0].Limit = 1 << 40
				if err := s.Apply(context.Background(), hs, counts); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, strconv.Itoa(workers*each), srv.cli("GET", redisKey("shared")))
	require.Equal(t, strconv.Itoa(workers*each), srv.cli("GET", redisKey("other")))
}

// TestRedisKilled: with the server silent or gone, Apply fails within its bounds
// without hanging; started again on the same port, the same store counts again.
func TestRedisKilled(t *testing.T) {
	srv := startRedis(t)
	reg := prometheus.NewRegistry()
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, Registerer: reg, OverLimitKeys: -1})
	require.Equal(t, []uint64{1}, mustApply(t, s, hits("k")))

	srv.signal(syscall.SIGSTOP) // connected, never answering
	start := time.Now()
	err := s.Apply(context.Background(), hits("k"), make([]uint64, 1))
	elapsed := time.Since(start)
	srv.signal(syscall.SIGCONT)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, elapsed, DefaultRedisRoundTripTimeout)
	require.Less(t, elapsed, DefaultRedisRoundTripTimeout+200*time.Millisecond)
	require.Eventually(t, func() bool {
		return s.Apply(context.Background(), hits("k"), make([]uint64, 1)) == nil
	}, 5*time.Second, 20*time.Millisecond, "the store recovers once the server answers")
	// The timed-out increment may have been counted when the server woke up.
	n := mustAtoi(t, srv.cli("GET", redisKey("k")))
	require.Contains(t, []int{2, 3}, n)
	srv.cli("SET", redisKey("k"), "1")

	srv.kill()
	const bound = DefaultRedisDialTimeout + DefaultRedisRoundTripTimeout + 200*time.Millisecond
	for range 5 {
		start := time.Now()
		err := s.Apply(context.Background(), hits("k"), make([]uint64, 1))
		require.Error(t, err)
		require.ErrorContains(t, err, "counting 1 rate-limit hits in redis")
		require.Less(t, time.Since(start), bound)
	}
	require.GreaterOrEqual(t, testutil.ToFloat64(s.metrics.errors), 5.0)

	srv.start()
	// The client pipelines over several connections: each one that saw the server go
	// fails once, then dials again.
	require.Eventually(t, func() bool {
		for range 8 {
			if s.Apply(context.Background(), hits("k"), make([]uint64, 1)) != nil {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond, "the store reconnects by itself")
	n = mustAtoi(t, srv.cli("GET", redisKey("k")))
	require.Equal(t, []uint64{uint64(n) + 1}, mustApply(t, s, hits("k")), "counted in the new server")
}

// TestRedisUnreachableAtStart: a store created while Redis is down fails at once,
// then connects by itself once Redis is up.
func TestRedisUnreachableAtStart(t *testing.T) {
	port := freePort(t)
	s, err := NewRedisStore(RedisConfig{Addresses: []string{"127.0.0.1:" + strconv.Itoa(port)}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	start := time.Now()
	err = s.Apply(context.Background(), hits("k"), make([]uint64, 1))
	require.ErrorContains(t, err, "connecting to redis")
	require.Less(t, time.Since(start), 10*time.Millisecond, "no dial per Apply while disconnected")

	startRedisOn(t, port, "--port")
	require.Eventually(t, func() bool { return s.Ping(context.Background()) == nil }, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, []uint64{1}, mustApply(t, s, hits("k")))
}

// TestRedisPassword: a password authenticates; a wrong one fails without its text in
// the error.
func TestRedisPassword(t *testing.T) {
	const password = "s3cret-Pa55word"
	srv := startRedis(t, "--requirepass", password)
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, Password: password})
	require.Equal(t, []uint64{1}, mustApply(t, s, hits("k")))

	const wrong = "not-the-Pa55word"
	bad, err := NewRedisStore(RedisConfig{Addresses: []string{srv.addr()}, Password: wrong})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, bad.Close()) })
	for _, err := range []error{bad.Ping(context.Background()), bad.Apply(context.Background(), hits("k"), make([]uint64, 1))} {
		require.Error(t, err)
		require.ErrorContains(t, err, "WRONGPASS")
		require.NotContains(t, err.Error(), wrong)
		require.NotContains(t, err.Error(), password)
	}

	_, err = NewRedisStore(RedisConfig{Addresses: []string{"redis://user:" + password + "@127.0.0.1"}})
	require.ErrorContains(t, err, "redis address 1 is not host:port")
	require.NotContains(t, err.Error(), password)
}

// TestRedisTLS: a store reaches a TLS-only server whose certificate a given CA signs,
// and refuses one the system's roots do not trust.
func TestRedisTLS(t *testing.T) {
	dir := t.TempDir()
	caPEM, certPEM, keyPEM := selfSignedCA(t, "localhost")
	for name, b := range map[string][]byte{"ca.pem": caPEM, "cert.pem": certPEM, "key.pem": keyPEM} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	srv := startRedisOn(t, freePort(t), "--tls-port",
		"--tls-cert-file", filepath.Join(dir, "cert.pem"), "--tls-key-file", filepath.Join(dir, "key.pem"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.pem"), "--tls-auth-clients", "no")
	s := newRedisStore(t, RedisConfig{Addresses: []string{srv.addr()}, TLS: &RedisTLS{CA: caPEM, ServerName: "localhost"}})
	require.Equal(t, []uint64{1, 1}, mustApply(t, s, hits("a", "b")))

	untrusted, err := NewRedisStore(RedisConfig{Addresses: []string{srv.addr()}, TLS: &RedisTLS{ServerName: "localhost"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, untrusted.Close()) })
	require.ErrorContains(t, untrusted.Ping(context.Background()), "certificate")

	_, err = NewRedisStore(RedisConfig{Addresses: []string{srv.addr()}, TLS: &RedisTLS{CA: []byte("junk")}})
	require.ErrorContains(t, err, "no PEM certificate")
}

// TestRedisCluster: in a cluster of three masters, two stores share counters whose
// keys hash to every node, and an Apply is one pipeline per node involved.
func TestRedisCluster(t *testing.T) {
	nodes := startCluster(t)
	writes := newWriteCounter()
	a := newRedisStore(t, RedisConfig{Addresses: []string{nodes[0].addr()}, Cluster: true, wrapConn: writes.wrap})
	b := newRedisStore(t, RedisConfig{Addresses: []string{nodes[1].addr(), nodes[2].addr()}})

	keys := make([]string, 12)
	for i := range keys {
		keys[i] = fmt.Sprint("user-", i)
	}
	hs := hits(keys...)
	mustApply(t, a, hs) // the client learns the slots
	writes.reset()
	require.Equal(t, repeat(2, len(keys)), mustApply(t, a, hs))
	perNode := writes.byAddr()
	require.Len(t, perNode, 3, "the keys hash to the three nodes")
	for addr, n := range perNode {
		require.Equal(t, 1, n, "one pipeline to %s", addr)
	}
	require.Equal(t, repeat(3, len(keys)), mustApply(t, b, hs), "the other proxy counts on")

	held := 0
	for _, n := range nodes {
		held += mustAtoi(t, n.cli("DBSIZE"))
	}
	require.Equal(t, len(keys), held, "every counter lives once in the cluster")
}

// TestRedisConfigErrors: a configuration the store cannot use is refused at once.
func TestRedisConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  RedisConfig
		want string
	}{
		"no address":  {RedisConfig{}, "no redis address"},
		"no port":     {RedisConfig{Addresses: []string{"localhost"}}, "redis address 1 is not host:port"},
		"cluster DB":  {RedisConfig{Addresses: []string{"a:1", "b:1"}, DB: 2}, "no database but 0"},
		"client cert": {RedisConfig{Addresses: []string{"a:1"}, TLS: &RedisTLS{Certificate: []byte("x")}}, "client certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewRedisStore(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func repeat(n uint64, times int) []uint64 {
	out := make([]uint64, times)
	for i := range out {
		out[i] = n
	}
	return out
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// selfSignedCA makes a CA and a server certificate it signs for host and 127.0.0.1.
func selfSignedCA(t testing.TB, host string) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "claimgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{host}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
