package compile

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
	"google.golang.org/protobuf/types/known/durationpb"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Envoy's retry defaults, which Gloo keeps.
const (
	defaultRetryBase  = 25 * time.Millisecond
	defaultNumRetries = 1
)

// retryConditions are the x-envoy-retry-on conditions the proxy implements;
// envoyOnlyConditions are Envoy's others, ignored with a note.
var (
	retryConditions = map[string]bool{
		"5xx": true, "gateway-error": true, "reset": true, "connect-failure": true,
		"retriable-4xx": true, "refused-stream": true, "retriable-status-codes": true,
	}
	envoyOnlyConditions = map[string]bool{
		"envoy-ratelimited": true, "retriable-headers": true, "http3-post-connect-failure": true,
		"reset-before-request": true, "cancelled": true, "deadline-exceeded": true,
		"internal": true, "resource-exhausted": true, "unavailable": true,
	}
)

// routeFeatures are the compiled options of Gloo's that a route takes beyond jwt, rbac
// and upgrades, from a RouteOption or a VirtualHostOption.
type routeFeatures struct {
	timeout, idle, maxStream *durationpb.Duration
	retry                    *snapshotv1.RetryPolicy
	perTry                   *durationpb.Duration
	fault                    *snapshotv1.FaultInjection
	cors                     *snapshotv1.CorsPolicy
	corsDisabled             bool // cors.disableForRoute on a route
	exposeUnion              bool // corsPolicyMergeSettings.exposeHeaders UNION
	headers                  *snapshotv1.HeaderManipulation
	rewrite                  *snapshotv1.UpstreamRewrite // prefix, regex, host or auto host
	attemptUp, attemptDown   bool
	// rateLimits are the RateLimitConfigs of rateLimitEarlyConfigs, rateLimitConfigs
	// and rateLimitRegularConfigs, by option (rateLimitRefs).
	rateLimits [3][]rlcRef
	// ai shapes requests to LLM providers (ai.promptEnrichment, defaults, routeType).
	ai *snapshotv1.AiRequest
	// guard checks prompts and answers of LLM providers (ai.promptGuard).
	guard *snapshotv1.AiGuard
}

// optionCompiler compiles the options of one object, recording problems where they
// belong.
type optionCompiler struct {
	survey *optionSurvey
	state  *policyState
}

func (oc optionCompiler) invalid(name, format string, args ...any) {
	oc.survey.invalid(oc.state, name, fmt.Sprintf(format, args...))
}

func (oc optionCompiler) duration(name string, d *gatewayv1.Duration) *durationpb.Duration {
	if d == nil {
		return nil
	}
	v, err := d.Parse()
	if err != nil {
		oc.invalid(name, "%v", err)
		return nil
	}
	return durationpb.New(v)
}

// compileVHostFeatures compiles a VirtualHostOption's options beyond jwt and rbac.
func compileVHostFeatures(oc optionCompiler, o *gatewayv1.VirtualHostOptions) *routeFeatures {
	f := &routeFeatures{}
	f.retry, f.perTry = oc.retries(o.Retries)
	f.cors, _ = oc.cors(o.Cors)
	f.headers = oc.headers(o.HeaderManipulation)
	f.rateLimits = rateLimitRefs(oc.state.obj.GetNamespace(), o.RateLimitEarlyConfigs, o.RateLimitConfigs, o.RateLimitRegularConfigs)
	f.attemptUp = o.IncludeRequestAttemptCount != nil && *o.IncludeRequestAttemptCount
	f.attemptDown = o.IncludeAttemptCountInResponse != nil && *o.IncludeAttemptCountInResponse
	if m := o.CorsPolicyMergeSettings; m != nil && m.ExposeHeaders != nil {
		switch m.ExposeHeaders.String() {
		case "DEFAULT", "0":
		case "UNION", "1":
			f.exposeUnion = true
		default:
			oc.invalid("corsPolicyMergeSettings.exposeHeaders", "%q is neither DEFAULT (0) nor UNION (1)", m.ExposeHeaders.String())
		}
	}
	return f
}

// compileRouteFeatures compiles a RouteOption's options beyond jwt, rbac and upgrades.
func compileRouteFeatures(oc optionCompiler, o *gatewayv1.RouteOptions) *routeFeatures {
	f := &routeFeatures{}
	f.rateLimits = rateLimitRefs(oc.state.obj.GetNamespace(), o.RateLimitEarlyConfigs, o.RateLimitConfigs, o.RateLimitRegularConfigs)
	f.timeout = oc.duration("timeout", o.Timeout)
	f.idle = oc.duration("idleTimeout", o.IdleTimeout)
	if m := o.MaxStreamDuration; m != nil {
		f.maxStream = oc.duration("maxStreamDuration.maxStreamDuration", m.MaxStreamDuration)
		if m.GrpcTimeoutHeaderMax != nil || m.GrpcTimeoutHeaderOffset != nil {
			oc.survey.ignore("options.maxStreamDuration.grpcTimeoutHeaderMax", "claimgate serves no gRPC routes; grpc-timeout settings change nothing")
		}
	}
	f.retry, f.perTry = oc.retries(o.Retries)
	f.fault = oc.faults(o.Faults)
	f.cors, f.corsDisabled = oc.cors(o.Cors)
	f.headers = oc.headers(o.HeaderManipulation)
	f.rewrite = oc.rewrite(o)
	f.ai = oc.aiRequest(o.AI)
	f.guard = oc.aiGuard(o.AI)
	for i, u := range o.Upgrades {
		for j, spec := range []*gatewayv1.ProtocolUpgradeSpec{u.Connect, u.ConnectTerminate} {
			if spec != nil && (spec.Enabled == nil || *spec.Enabled) {
				name := [...]string{"connect", "connectTerminate"}[j]
				oc.survey.ignore(fmt.Sprintf("options.upgrades[%d].%s", i, name), "claimgate does not pass HTTP CONNECT on; such requests are refused")
			}
		}
	}
	return f
}

// retries compiles a retry policy and its per-try timeout.
func (oc optionCompiler) retries(r *gatewayv1.RetryPolicy) (*snapshotv1.RetryPolicy, *durationpb.Duration) {
	if r == nil {
		return nil, nil
	}
	out := &snapshotv1.RetryPolicy{NumRetries: defaultNumRetries, PreviousPriorities: r.PreviousPriorities != nil}
	if r.NumRetries != nil && *r.NumRetries > 0 {
		out.NumRetries = uint32(min(*r.NumRetries, math.MaxUint32))
	}
	if p := r.PreviousPriorities; p != nil && p.UpdateFrequency != nil && *p.UpdateFrequency > 1 {
		out.PreviousPrioritiesUpdateFrequency = uint32(min(*p.UpdateFrequency, math.MaxUint32))
	}
	for _, c := range strings.Split(r.RetryOn, ",") {
		switch c = strings.TrimSpace(c); {
		case c == "":
		case retryConditions[c]:
			out.RetryOn = append(out.RetryOn, c)
		case envoyOnlyConditions[c]:
			oc.survey.ignore("options.retries.retryOn."+c, "claimgate does not implement this retry condition; it retries nothing")
		default:
			oc.survey.ignore("options.retries.retryOn."+c, "not a retry condition of Envoy's; it retries nothing")
		}
	}
	for _, code := range r.RetriableStatusCodes {
		if code < 100 || code > 599 {
			oc.invalid("retries.retriableStatusCodes", "%d is not an HTTP status", code)
			continue
		}
		out.RetriableStatusCodes = append(out.RetriableStatusCodes, uint32(code))
	}
	out.BaseInterval = durationpb.New(defaultRetryBase)
	if b := r.RetryBackOff; b != nil {
		oc.backOff(out, b)
	}
	if out.MaxInterval == nil {
		out.MaxInterval = durationpb.New(10 * out.GetBaseInterval().AsDuration())
	}
	if r.RateLimitedRetryBackOff != nil {
		oc.survey.ignore("options.retries.rateLimitedRetryBackOff", "claimgate does not implement it; rate-limited answers are retried with the ordinary back-off")
	}
	return out, oc.duration("retries.perTryTimeout", r.PerTryTimeout)
}

func (oc optionCompiler) backOff(out *snapshotv1.RetryPolicy, b *gatewayv1.RetryBackOff) {
	if b.BaseInterval == nil {
		oc.invalid("retries.retryBackOff.baseInterval", "is required when retryBackOff is set")
		return
	}
	base := oc.duration("retries.retryBackOff.baseInterval", b.BaseInterval)
	if base == nil {
		return
	}
	if base.AsDuration() < time.Millisecond {
		oc.invalid("retries.retryBackOff.baseInterval", "%s is less than 1ms", base.AsDuration())
		return
	}
	out.BaseInterval = base
	if mx := oc.duration("retries.retryBackOff.maxInterval", b.MaxInterval); mx != nil {
		if mx.AsDuration() < base.AsDuration() {
			oc.invalid("retries.retryBackOff.maxInterval", "%s is less than baseInterval %s", mx.AsDuration(), base.AsDuration())
			return
		}
		out.MaxInterval = mx
	}
}

// faults compiles fault injection.
func (oc optionCompiler) faults(f *gatewayv1.RouteFaults) *snapshotv1.FaultInjection {
	if f == nil || (f.Abort == nil && f.Delay == nil) {
		return nil
	}
	out := &snapshotv1.FaultInjection{}
	for _, p := range []*float64{faultPercentage(f.Abort), delayPercentage(f.Delay)} {
		if p != nil && !(*p >= 0 && *p <= 100) { // NaN fails both
			oc.invalid("faults", "percentage %v is not in 0-100", *p)
			return nil
		}
	}
	if a := f.Abort; a != nil {
		if a.HTTPStatus < 200 || a.HTTPStatus > 599 {
			oc.invalid("faults.abort.httpStatus", "%d is not in 200-599", a.HTTPStatus)
			return nil
		}
		out.Abort = &snapshotv1.FaultAbort{HttpStatus: uint32(a.HTTPStatus), Percentage: a.Percentage}
	}
	if d := f.Delay; d != nil {
		if d.FixedDelay == nil {
			oc.invalid("faults.delay.fixedDelay", "is required when delay is set")
			return nil
		}
		out.Delay = &snapshotv1.FaultDelay{FixedDelay: oc.duration("faults.delay.fixedDelay", d.FixedDelay), Percentage: d.Percentage}
	}
	return out
}

// cors compiles a CORS policy; disabled reports disableForRoute.
func (oc optionCompiler) cors(c *gatewayv1.CorsPolicy) (_ *snapshotv1.CorsPolicy, disabled bool) {
	if c == nil {
		return nil, false
	}
	for _, re := range c.AllowOriginRegex {
		if _, err := regexp.Compile(re); err != nil { // whole: it must parse on its own
			oc.invalid("cors.allowOriginRegex", "%q is not an RE2 expression: %v", re, err)
			return nil, false
		}
	}
	if c.MaxAge != "" {
		if _, err := strconv.ParseUint(c.MaxAge, 10, 32); err != nil {
			oc.invalid("cors.maxAge", "%q is not a number of seconds", c.MaxAge)
			return nil, false
		}
	}
	for _, h := range append(append([]string{}, c.AllowHeaders...), c.ExposeHeaders...) {
		if !httpguts.ValidHeaderFieldName(h) && h != "*" {
			oc.invalid("cors", "%q is not a header name", h)
			return nil, false
		}
	}
	return &snapshotv1.CorsPolicy{
		AllowOrigin: c.AllowOrigin, AllowOriginRegex: c.AllowOriginRegex, AllowMethods: c.AllowMethods,
		AllowHeaders: c.AllowHeaders, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge,
		AllowCredentials: c.AllowCredentials,
	}, c.DisableForRoute
}

func faultPercentage(a *gatewayv1.RouteAbort) *float64 {
	if a == nil {
		return nil
	}
	return &a.Percentage
}

func delayPercentage(d *gatewayv1.RouteDelay) *float64 {
	if d == nil {
		return nil
	}
	return &d.Percentage
}
