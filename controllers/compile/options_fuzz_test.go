package compile

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// FuzzOptionCompile compiles RouteOption and VirtualHostOption options of any content
// (as decoded from JSON, which the API server's schema would narrow further): the
// compile never panics, stays deterministic, and every route it builds is either
// closed or carries only well-formed option fields.
func FuzzOptionCompile(f *testing.F) {
	for _, seed := range []string{
		`{"timeout":"30s","retries":{"retryOn":"5xx,reset","numRetries":3,"retryBackOff":{"baseInterval":"1ms","maxInterval":"2ms"}}}`,
		`{"faults":{"abort":{"httpStatus":503,"percentage":50},"delay":{"fixedDelay":"1s","percentage":100}}}`,
		`{"regexRewrite":{"pattern":{"regex":"^/(.*)$"},"substitution":"/v1/\\1"},"hostRewrite":"h.example"}`,
		`{"headerManipulation":{"requestHeadersToAdd":[{"header":{"key":"x","value":"%%y"}}],"responseHeadersToRemove":["server"]}}`,
		`{"cors":{"allowOrigin":["*"],"allowOriginRegex":["(bad"],"maxAge":"x"}}`,
		`{"extauth":{"configRef":{"name":"a"}},"tracing":{},"upgrades":[{"connect":{}}]}`,
		`{"retries":{"retriableStatusCodes":[1,999],"retryBackOff":{"maxInterval":"1s"}},"idleTimeout":"bogus"}`,
	} {
		f.Add([]byte(seed), []byte(`{"cors":{"allowOrigin":["https://a"],"exposeHeaders":["x"]},"corsPolicyMergeSettings":{"exposeHeaders":"UNION"},"retries":{"retryOn":"connect-failure"}}`))
	}
	base := loadInputs(f, "testdata/gloo-route-options.in.yaml")
	f.Fuzz(func(t *testing.T, routeOpts, vhostOpts []byte) {
		var ro gatewayv1.RouteOptions
		var vo gatewayv1.VirtualHostOptions
		if json.Unmarshal(routeOpts, &ro) != nil || json.Unmarshal(vhostOpts, &vo) != nil {
			return
		}
		in := base
		in.RouteOptions = make([]*gatewayv1.RouteOption, len(base.RouteOptions))
		in.VirtualHostOptions = append([]gatewayv1.VirtualHostOption(nil), base.VirtualHostOptions...)
		for i, o := range base.RouteOptions {
			in.RouteOptions[i] = o.DeepCopy()
			in.RouteOptions[i].Spec.Options = ro
		}
		in.VirtualHostOptions[0].Spec.Options = vo
		first, second := Compile(in), Compile(in)
		require.Equal(t, marshalSnapshots(t, first), marshalSnapshots(t, second), "the compile is deterministic")
		requireEncodedMatchesSnapshots(t, first)
		for _, snap := range first.Snapshots {
			require.NotEmpty(t, snap.GetVersion())
			for _, l := range snap.GetListeners() {
				for _, vh := range l.GetVirtualHosts() {
					for _, r := range vh.GetRoutes() {
						if r.GetDirectResponse() != nil {
							continue
						}
						if f := r.GetFault().GetAbort(); f != nil {
							require.True(t, f.GetHttpStatus() >= 200 && f.GetHttpStatus() <= 599, "abort status %d", f.GetHttpStatus())
							require.True(t, f.GetPercentage() >= 0 && f.GetPercentage() <= 100, "abort percentage %v", f.GetPercentage())
						}
						if d := r.GetFault().GetDelay(); d != nil {
							require.True(t, d.GetPercentage() >= 0 && d.GetPercentage() <= 100, "delay percentage %v", d.GetPercentage())
							require.GreaterOrEqual(t, d.GetFixedDelay().AsDuration(), time.Duration(0))
						}
						if rp := r.GetRetry(); rp != nil {
							require.LessOrEqual(t, rp.GetBaseInterval().AsDuration(), rp.GetMaxInterval().AsDuration())
							for _, c := range rp.GetRetryOn() {
								require.True(t, retryConditions[c], "retry condition %q", c)
							}
						}
					}
				}
			}
		}
	})
}
