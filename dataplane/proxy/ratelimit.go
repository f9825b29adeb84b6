package proxy

import (
	"context"
	"fmt"
	"net/http"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/dataplane/llm"
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
//     answer's tokens. Opt-ins of a RateLimitConfig: reserve_max_tokens reserves a
//     request's max_tokens once its body is read (reserveTokens), and stop_streams ends
//     a stream whose owner's tokens reach the limit (metering.go).

// Decisions of the rate limits.
const (
	decisionRateLimited    = "rate_limited"
	decisionRateLimitError = "rate_limit_error"
	// decisionStreamStopped: a stream ended when its owner's tokens reached a limit.
	decisionStreamStopped = "stream_stopped"
	rateLimitErrorBody    = "rate limit service unavailable"
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
	first, firstStatus := len(d.Results()), len(d.Statuses())
	rw.limiter.Check(r.Context(), policies, &req, d)
	s.metrics.countRateLimits(early, d.Results()[first:], d.Statuses()[firstStatus:])
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

// chargeTokens settles the token policies that admitted the request rw answers to n LLM
// tokens (the answer's input plus output): what was reserved or added while it streamed
// is brought to n. The LLM usage metering calls it when the answer or the stream ends,
// before the handler returns (rw's decision is released with rw); settleUnanswered calls
// it with 0 for a request that reserved tokens and got no metered answer. It does
// nothing on a route without token limits, or for a refused request. The error is the
// store's: the tokens are then not counted.
func chargeTokens(rw *responseWriter, n int64) error {
	if rw.limits == nil {
		return nil
	}
	// Not the request's context: the client may be gone once its answer has ended.
	return rw.limits.Settle(context.Background(), uint64(max(n, 0)))
}

// reserveTokens reserves, for a request to an AI provider whose token policies reserve
// max_tokens, the most its answer may use: the max_tokens its in-memory body states plus
// the prompt's estimate (dataplane/llm EstimateTokens of the body's size). It reports
// whether it answered the request: 429 when the reservation does not fit, 500 when the
// store failed under deny-on-fail. A body that states no max_tokens reserves nothing,
// and is admitted as by a policy without the opt-in.
func (s *Server) reserveTokens(rw *responseWriter, r *http.Request) (answered, reserved bool) {
	if rw.limits == nil || !rw.limits.Reserving() {
		return false, false
	}
	body, _ := llm.InMemory(r)
	maxTokens, ok := llm.RequestMaxTokens(body)
	if !ok {
		return false, false
	}
	prompt := llm.EstimateTokens(int64(len(body)))
	d := rw.limits
	fits, err := d.Reserve(r.Context(), uint64(maxTokens)+uint64(prompt))
	d.SetHeaders(rw.Header())
	switch {
	case d.Failed():
		s.metrics.countReservation("", "store_error")
		rw.decision, rw.reason = decisionRateLimitError, "store_error"
		writeText(rw, http.StatusInternalServerError, rateLimitErrorBody)
		return true, false
	case err != nil:
		s.metrics.countReservation("", "store_error")
		rw.chargeErr = fmt.Sprintf("reserving %d tokens: %v", maxTokens+prompt, err)
		return false, false
	case !fits:
		st, _ := d.Refusal()
		s.metrics.countReservation(st.Policy, "over")
		rw.decision, rw.reason = decisionRateLimited, st.Policy
		rw.Header()[ratelimit.HeaderRateLimited] = ratelimitedTrue
		writeText(rw, http.StatusTooManyRequests, fmt.Sprintf(
			"max_tokens (%d) and the prompt (about %d tokens) do not fit in the %d tokens left of a token budget",
			maxTokens, prompt, st.Remaining))
		return true, false
	}
	s.metrics.countReservation("", "allowed")
	return false, true
}

// settleUnanswered gives back what a request reserved when no metered answer settled
// it (the upstream could not be reached, the client left first).
func settleUnanswered(rw *responseWriter) {
	if rw.metered {
		return
	}
	if err := chargeTokens(rw, 0); err != nil {
		rw.chargeErr = fmt.Sprintf("giving back a reservation: %v", err)
	}
}
