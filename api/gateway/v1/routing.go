package v1

import (
	"k8s.io/apimachinery/pkg/util/intstr"
)

// RetryPolicy is Gloo's retries, Envoy's router retry policy.
type RetryPolicy struct {
	// retryOn lists, comma-separated, the conditions that retry an attempt (Envoy's
	// x-envoy-retry-on): 5xx, gateway-error, reset, connect-failure, retriable-4xx,
	// refused-stream, retriable-status-codes.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	RetryOn string `json:"retryOn,omitempty"`
	// numRetries is the number of retries after the first attempt; 1 when unset.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	NumRetries *int64 `json:"numRetries,omitempty"`
	// perTryTimeout bounds each attempt.
	// +optional
	PerTryTimeout *Duration `json:"perTryTimeout,omitempty"`
	// retryBackOff is the jittered exponential back-off between attempts.
	// +optional
	RetryBackOff *RetryBackOff `json:"retryBackOff,omitempty"`
	// previousPriorities sends each retry to the next priority of a failover pool.
	// +optional
	PreviousPriorities *PreviousPriorities `json:"previousPriorities,omitempty"`
	// retriableStatusCodes retry answers with these statuses too.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Minimum=0
	// +kubebuilder:validation:items:Maximum=4294967295
	RetriableStatusCodes []int64 `json:"retriableStatusCodes,omitempty"`
	// rateLimitedRetryBackOff is the back-off for rate-limited answers (Retry-After).
	// claimgate does not implement it: the policy's status says it is ignored.
	// +optional
	RateLimitedRetryBackOff *RateLimitedRetryBackOff `json:"rateLimitedRetryBackOff,omitempty"`
}

// RetryBackOff is the base and the bound of the back-off between attempts.
type RetryBackOff struct {
	// baseInterval is the back-off's base (at least 1ms); 25ms when unset.
	// +optional
	BaseInterval *Duration `json:"baseInterval,omitempty"`
	// maxInterval bounds the back-off; 10 times baseInterval when unset.
	// +optional
	MaxInterval *Duration `json:"maxInterval,omitempty"`
}

// PreviousPriorities configures retries across the priorities of a failover pool.
type PreviousPriorities struct {
	// updateFrequency is how many attempts are made at a priority before a retry moves
	// to the next one; 1 when unset or 0.
	// +optional
	// +nullable
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	UpdateFrequency *int64 `json:"updateFrequency,omitempty"`
}

// RateLimitedRetryBackOff is Gloo's back-off for rate-limited answers.
type RateLimitedRetryBackOff struct {
	// resetHeaders are the headers read for the back-off.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	ResetHeaders []ResetHeader `json:"resetHeaders,omitempty"`
	// maxInterval bounds the back-off.
	// +optional
	MaxInterval *Duration `json:"maxInterval,omitempty"`
}

// ResetHeader is a header that says when to retry.
type ResetHeader struct {
	// name is the header name.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
	// format is SECONDS (0) or UNIX_TIMESTAMP (1).
	// +optional
	Format *intstr.IntOrString `json:"format,omitempty"`
}

// RegexMatchAndSubstitute rewrites with a regular expression (Envoy's regex_rewrite).
type RegexMatchAndSubstitute struct {
	// pattern is the RE2 expression.
	// +required
	Pattern RegexMatcher `json:"pattern"`
	// substitution replaces each match; \1 and the like name capture groups.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Substitution string `json:"substitution,omitempty"`
}

// RegexMatcher is an RE2 expression.
type RegexMatcher struct {
	// googleRe2 is Envoy's engine setting; RE2 is the only engine.
	// +optional
	GoogleRe2 *GoogleRe2 `json:"googleRe2,omitempty"`
	// regex is the expression.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Regex string `json:"regex"`
}

// GoogleRe2 is Envoy's RE2 engine setting.
type GoogleRe2 struct {
	// maxProgramSize is Envoy's bound on the compiled expression; claimgate bounds
	// expressions by length instead.
	// +optional
	// +nullable
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	MaxProgramSize *int64 `json:"maxProgramSize,omitempty"`
}

// RouteFaults are Gloo's faults: a delay, then an abort, each for a share of requests.
type RouteFaults struct {
	// abort answers a share of requests with a status.
	// +optional
	Abort *RouteAbort `json:"abort,omitempty"`
	// delay holds a share of requests before forwarding them.
	// +optional
	Delay *RouteDelay `json:"delay,omitempty"`
}

// RouteAbort answers a share of requests itself.
type RouteAbort struct {
	// percentage is the share of requests aborted, 0-100.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percentage float64 `json:"percentage,omitempty"`
	// httpStatus is the status answered, 200-599.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	HTTPStatus int64 `json:"httpStatus,omitempty"`
}

// RouteDelay holds a share of requests.
type RouteDelay struct {
	// percentage is the share of requests delayed, 0-100.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percentage float64 `json:"percentage,omitempty"`
	// fixedDelay is how long they are held.
	// +optional
	FixedDelay *Duration `json:"fixedDelay,omitempty"`
}

// MaxStreamDuration bounds how long a request may last.
type MaxStreamDuration struct {
	// maxStreamDuration ends a request that has lasted that long.
	// +optional
	MaxStreamDuration *Duration `json:"maxStreamDuration,omitempty"`
	// grpcTimeoutHeaderMax bounds a gRPC client's grpc-timeout. claimgate serves no gRPC
	// routes: the policy's status says it is ignored.
	// +optional
	GrpcTimeoutHeaderMax *Duration `json:"grpcTimeoutHeaderMax,omitempty"`
	// grpcTimeoutHeaderOffset is subtracted from a gRPC client's grpc-timeout; ignored
	// as grpcTimeoutHeaderMax is.
	// +optional
	GrpcTimeoutHeaderOffset *Duration `json:"grpcTimeoutHeaderOffset,omitempty"`
}
