package ratelimit

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// FuzzCompile: any policy either fails to compile or compiles into one that checks a
// request, and reserves, follows and settles its tokens, without panicking.
func FuzzCompile(f *testing.F) {
	tokensPolicy := lab6(70, true)
	budgeted := budget(100, true, true)
	weighted := desc("type", "Whatsapp", perMinute(1), &snapshotv1.RateLimitDescriptor{Key: "number", Value: "411", Limit: perMinute(100), Weight: 1})
	sets := actions(header("x-account-id", "account_id"), header("x-plan", "plan"))
	sets.SetStyle = true
	seeds := []*snapshotv1.RateLimitPolicy{
		lab6(70, false), tokensPolicy, budgeted,
		{Name: "ns/w", Descriptors: []*snapshotv1.RateLimitDescriptor{weighted}, Actions: []*snapshotv1.RateLimitActions{
			actions(header("x-type", "type"), header("x-number", "number")),
		}},
		{Name: "ns/s", Actions: []*snapshotv1.RateLimitActions{sets}, SetDescriptors: []*snapshotv1.RateLimitSetDescriptor{{
			Entries: []*snapshotv1.RateLimitEntry{{Key: "plan", Value: "BASIC"}, {Key: "account_id"}}, Limit: perMinute(20), AlwaysApply: true,
		}}},
		{Name: "ns/m", Descriptors: []*snapshotv1.RateLimitDescriptor{desc("header_match", "curl", perSecond(1))}, Actions: []*snapshotv1.RateLimitActions{
			actions(hvm("curl", true,
				&snapshotv1.RateLimitHeaderMatcher{Name: "user-agent", Match: &snapshotv1.RateLimitHeaderMatcher_Regex{Regex: "curl/.*"}},
				&snapshotv1.RateLimitHeaderMatcher{Name: "x-n", Match: &snapshotv1.RateLimitHeaderMatcher_Range{Range: &snapshotv1.Int64Range{Start: 1, End: 9}}},
			)),
			actions(&snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}}),
		}},
	}
	for _, s := range seeds {
		b, err := proto.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	l := New(Config{})
	req := &Request{
		Header:     http.Header{"User-Agent": {"curl/8"}, "X-N": {"3"}, "X-Type": {"Whatsapp"}, "X-Number": {"411"}, "X-Plan": {"BASIC"}},
		RemoteAddr: "192.0.2.1:1", Tokens: user("alice").Tokens, Destination: "up",
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var pb snapshotv1.RateLimitPolicy
		if proto.Unmarshal(b, &pb) != nil {
			return
		}
		p, err := Compile(&pb)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without words")
			}
			return
		}
		d := l.Acquire()
		defer d.Release()
		l.Check(context.Background(), []*Policy{p}, req, d)
		ctx := context.Background()
		if fits, _ := d.Reserve(ctx, 40); fits {
			_, _ = d.Progress(ctx, 90)
			_ = d.Settle(ctx, 3)
		}
		d.SetHeaders(http.Header{})
	})
}
