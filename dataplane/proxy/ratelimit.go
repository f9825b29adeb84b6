package proxy

import (
	"context"
	"fmt"
	"net/http"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// A route's rate limits (Gloo's RateLimitConfigs) run in two stages of serveRoute: the
// early policies after a CORS preflight is answered and before JWT authentication, the
// regular ones after claim authorization and before faults, filters and forwarding.
//   - A request over any limit is answered 429 with an empty body, x-envoy-ratelimited:
//     true and the x-ratelimit-* headers (dataplane/ratelimit); the upstream is not
//     called. An early refusal comes before authentication: a request without a token is
//     counted, and once over gets 429 rather than 401.
//   - An allowed request's answer carries the x-ratelimit-* headers of its most
//     constraining limit, both stages together.
//   - When the store cannot count, the request passes, unless Config.RateLimitDenyOnFail:
//     then 500.
//   - A token policy only refuses a window already at its limit; chargeTokens adds an
//     answer's tokens.

// Decisions of the rate limits.
const (
	decisionRateLimited    = "rate_limited"
	decisionRateLimitError = "rate_limit_error"
	rateLimitErrorBody     = "rate limit service unavailable"
)

var ratelimitedTrue = []string{"true"}

// routeLimits are a route's compiled rate limits by stage.
type routeLimits struct {
	early, regular []*ratelimit.Policy
	// destination is set when an action reads the chosen upstream, which is then
	// picked before the first stage.
	destination bool
}

// compileRateLimits compiles rl; a route without limits gets nil.
func compileRateLimits(rl *snapshotv1.RateLimits) (*routeLimits, error) {
	if len(rl.GetEarly()) == 0 && len(rl.GetRegular()) == 0 {
		return nil, nil
	}
	out := &routeLimits{}
	var err error
	if out.early, err = compilePolicies("early", rl.GetEarly(), &out.destination); err != nil {
		return nil, err
	}
	if out.regular, err = compilePolicies("regular", rl.GetRegular(), &out.destination); err != nil {
		return nil, err
	}
	return out, nil
}

func compilePolicies(stage string, pbs []*snapshotv1.RateLimitPolicy, destination *bool) ([]*ratelimit.Policy, error) {
	var out []*ratelimit.Policy
	for i, pb := range pbs {
		p, err := ratelimit.Compile(pb)
		if err != nil {
			return nil, fmt.Errorf("rate_limits.%s[%d] (%s): %w", stage, i, pb.GetName(), err)
		}
		*destination = *destination || p.UsesDestination()
		out = append(out, p)
	}
	return out, nil
}

// stage returns the policies of the early or the regular stage.
func (rl *routeLimits) stage(early bool) []*ratelimit.Policy {
	switch {
	case rl == nil:
		return nil
	case early:
		return rl.early
	default:
		return rl.regular
	}
}

// pickEarly picks rt's upstream before the rate limits when an action reads it, so the
// request goes where it was counted; otherwise forward picks it.
func (rt *route) pickEarly() *upstream {
	if rt.limits == nil || !rt.limits.destination {
		return nil
	}
	return rt.backends.pick()
}

// rateLimit checks one stage of rt's limits and reports whether it answered the request.
func (s *Server) rateLimit(rw *responseWriter, r *http.Request, rt *route, early bool, tokens []authz.Token, up *upstream) bool {
	policies := rt.limits.stage(early)
	if len(policies) == 0 {
		return false
	}
	if rw.limits == nil {
		rw.limiter = s.limiters.Load().limiter
		rw.limits = rw.limiter.Acquire()
	}
	d := rw.limits
	req := ratelimit.Request{Header: r.Header, RemoteAddr: r.RemoteAddr, Tokens: tokens}
	if up != nil {
		req.Destination = up.name
	}
	first := len(d.Results())
	rw.limiter.Check(r.Context(), policies, &req, d)
	s.metrics.countRateLimits(early, d.Results()[first:])
	d.SetHeaders(rw.Header())
	switch {
	case d.Failed():
		rw.decision, rw.reason = decisionRateLimitError, "store_error"
		writeText(rw, http.StatusInternalServerError, rateLimitErrorBody)
	case d.Over():
		st, _ := d.Refusal()
		rw.decision, rw.reason = decisionRateLimited, st.Policy
		rw.Header()[ratelimit.HeaderRateLimited] = ratelimitedTrue
		rw.WriteHeader(http.StatusTooManyRequests)
	default:
		return false
	}
	return true
}

// chargeTokens charges n LLM tokens (the answer's input plus output) to the token
// policies that admitted the request rw answers, in the windows current now. The LLM
// usage metering calls it when the answer or the stream ends, before the handler
// returns (rw's decision is released with rw); it may be called more than once. It does
// nothing for n <= 0, on a route without token limits, or for a refused request. The
// error is the store's: the tokens are then not counted.
func chargeTokens(rw *responseWriter, n int64) error {
	if rw.limits == nil || n <= 0 {
		return nil
	}
	// Not the request's context: the client may be gone once its answer has ended.
	return rw.limits.Charge(context.Background(), uint64(n))
}
