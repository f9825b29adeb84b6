package proxy

import (
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// TestStaticEndpointWeights: a static upstream's endpoints take turns in proportion to
// their weights, every cycle; equal weights (or none) alternate.
func TestStaticEndpointWeights(t *testing.T) {
	tests := map[string]struct {
		weights []uint32
		want    []int // the endpoints of successive requests
	}{
		"no weights":              {weights: []uint32{0, 0}, want: []int{0, 1, 0, 1}},
		"equal weights alternate": {weights: []uint32{1000, 1000}, want: []int{0, 1, 0, 1}},
		"three to one":            {weights: []uint32{3, 1}, want: []int{0, 0, 0, 1, 0, 0, 0, 1}},
		"divided by their gcd":    {weights: []uint32{200, 100, 100}, want: []int{0, 0, 1, 2, 0, 0, 1, 2}},
		"0 counts as 1":           {weights: []uint32{0, 2}, want: []int{0, 1, 1, 0, 1, 1}},
	}
	tr := llm.NewTransports(llm.TransportConfig{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var eps []*snapshotv1.Endpoint
			for i, w := range tc.weights {
				eps = append(eps, &snapshotv1.Endpoint{Host: "10.0.0." + string(rune('1'+i)), Port: 80, LoadBalancingWeight: w})
			}
			up, err := compileUpstream(&snapshotv1.Upstream{Name: "u", Kind: &snapshotv1.Upstream_Static{
				Static: &snapshotv1.StaticUpstream{Endpoints: eps},
			}}, tr, time.Now, logr.Discard())
			require.NoError(t, err)
			var got []int
			for range tc.want {
				got = append(got, up.turn())
			}
			require.Equal(t, tc.want, got)
		})
	}
}
