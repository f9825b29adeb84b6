package ratelimit

import (
	"context"
	"net/http"
	"testing"

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
				if err := d.Charge(ctx, 10); err != nil {
					b.Fatal(err)
				}
				d.Release()
			}
		})
	}
}
