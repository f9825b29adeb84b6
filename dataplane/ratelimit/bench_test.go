package ratelimit

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// BenchmarkCheck measures one stage's check of a request under its limits with the
// memory store: lab 6's per-user limit (one descriptor), and the same with a per-address
// limit (two descriptors, two policies), and a token policy with its charge.
func BenchmarkCheck(b *testing.B) {
	perIP := mustCompile(b, &snapshotv1.RateLimitPolicy{
		Name:        "ns/ip",
		Descriptors: []*snapshotv1.RateLimitDescriptor{desc("remote_address", "", perSecond(1<<31))},
		Actions:     []*snapshotv1.RateLimitActions{actions(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}})},
	})
	req := user("alice")
	req.Header = http.Header{"X-Plan": {"BASIC"}}
	req.RemoteAddr = "192.0.2.1:41000"
	cases := map[string][]*Policy{
		"one-descriptor":  {mustCompile(b, lab6(1<<31, false))},
		"two-descriptors": {mustCompile(b, lab6(1<<31, false)), perIP},
		"tokens":          {mustCompile(b, lab6(1<<31, true))},
	}
	for name, ps := range cases {
		b.Run(name, func(b *testing.B) {
			l := New(Config{})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				d := l.Acquire()
				l.Check(ctx, ps, req, d)
				if d.Over() {
					b.Fatal("over")
				}
				if err := d.Settle(ctx, 10); err != nil {
					b.Fatal(err)
				}
				d.Release()
			}
		})
	}
}

// BenchmarkRedisApply measures an Apply of one and two increments against a
// redis-server on loopback (one round trip each), and the answer of a counter known to
// be over its limit, which makes none.
func BenchmarkRedisApply(b *testing.B) {
	srv := startRedis(b)
	s := newRedisStore(b, RedisConfig{Addresses: []string{srv.addr()}})
	end := time.Now().Add(time.Hour)
	ctx := context.Background()
	cases := map[string][]Hit{
		"one-hit":  {{Key: []byte("user"), Amount: 1, Expires: end}},
		"two-hits": {{Key: []byte("user"), Amount: 1, Expires: end}, {Key: []byte("address"), Amount: 1, Expires: end}},
		"over-limit-memory": {
			{Key: []byte("over"), Amount: 1, Expires: end, Limit: 1},
			{Key: []byte("over2"), Amount: 1, Expires: end, Limit: 1},
		},
	}
	for name, hs := range cases {
		b.Run(name, func(b *testing.B) {
			counts := make([]uint64, len(hs))
			require.NoError(b, s.Apply(ctx, hs, counts)) // the over-limit counters reach their limit
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Apply(ctx, hs, counts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRedisApplyParallel measures two-hit Applies from concurrent requests, whose
// commands the client pipelines together on shared connections.
func BenchmarkRedisApplyParallel(b *testing.B) {
	srv := startRedis(b)
	s := newRedisStore(b, RedisConfig{Addresses: []string{srv.addr()}})
	end := time.Now().Add(time.Hour)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		hs := []Hit{{Key: []byte("user"), Amount: 1, Expires: end}, {Key: []byte("address"), Amount: 1, Expires: end}}
		counts := make([]uint64, len(hs))
		for pb.Next() {
			if err := s.Apply(context.Background(), hs, counts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
