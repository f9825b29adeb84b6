package ratelimit

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func rl(n uint32, unit snapshotv1.RateLimitUnit) *snapshotv1.RateLimit {
	return &snapshotv1.RateLimit{RequestsPerUnit: n, Unit: unit}
}

func perSecond(n uint32) *snapshotv1.RateLimit { return rl(n, snapshotv1.RateLimitUnit_SECOND) }
func perMinute(n uint32) *snapshotv1.RateLimit { return rl(n, snapshotv1.RateLimitUnit_MINUTE) }
func perHour(n uint32) *snapshotv1.RateLimit   { return rl(n, snapshotv1.RateLimitUnit_HOUR) }
func perDay(n uint32) *snapshotv1.RateLimit    { return rl(n, snapshotv1.RateLimitUnit_DAY) }

// desc is a tree node.
func desc(key, value string, lim *snapshotv1.RateLimit, kids ...*snapshotv1.RateLimitDescriptor) *snapshotv1.RateLimitDescriptor {
	return &snapshotv1.RateLimitDescriptor{Key: key, Value: value, Limit: lim, Descriptors: kids}
}

// fixed is an action list yielding the entries kv (key, value, key, value…).
func fixed(kv ...string) *snapshotv1.RateLimitActions {
	out := &snapshotv1.RateLimitActions{}
	for i := 0; i < len(kv); i += 2 {
		out.Actions = append(out.Actions, constant(kv[i], kv[i+1]))
	}
	return out
}

func constant(k, v string) *snapshotv1.RateLimitAction {
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_Constant{Constant: &snapshotv1.RateLimitEntry{Key: k, Value: v}}}
}

func header(name, key string) *snapshotv1.RateLimitAction {
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RequestHeader{RequestHeader: &snapshotv1.RequestHeaderAction{HeaderName: name, DescriptorKey: key}}}
}

func claim(key, def string, path ...string) *snapshotv1.RateLimitAction {
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_Claim{Claim: &snapshotv1.ClaimAction{DescriptorKey: key, Path: path, DefaultValue: def}}}
}

func actions(as ...*snapshotv1.RateLimitAction) *snapshotv1.RateLimitActions {
	return &snapshotv1.RateLimitActions{Actions: as}
}

func mustCompile(t testing.TB, pb *snapshotv1.RateLimitPolicy) *Policy {
	t.Helper()
	if pb.Name == "" {
		pb.Name = "ns/policy"
	}
	p, err := Compile(pb)
	require.NoError(t, err)
	return p
}

// reached describes the limits req reaches in p, in order: "<n>/<UNIT> <entries>".
func reached(p *Policy, req *Request) []string {
	d := &Decision{}
	p.collect(req, d, 0)
	var out []string
	for _, pd := range d.pending {
		out = append(out, fmt.Sprintf("%d/%s", pd.lim.perUnit, pd.lim.unit))
	}
	return out
}

// descriptors are the request descriptors p builds for req.
func descriptors(p *Policy, req *Request) [][]Entry {
	var out [][]Entry
	d := &Decision{}
	for i := range p.actions {
		d.entries = d.entries[:0]
		if p.actions[i].build(req, d) {
			out = append(out, append([]Entry(nil), d.entries...))
		}
	}
	return out
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
