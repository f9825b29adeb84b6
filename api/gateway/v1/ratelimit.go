package v1

// RateLimitConfigRefs names RateLimitConfigs (ratelimit.solo.io).
type RateLimitConfigRefs struct {
	// refs are the RateLimitConfigs; each applies, and a request is refused when any
	// is over its limit.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Refs []RateLimitConfigRef `json:"refs,omitempty"`
}

// RateLimitConfigRef names one RateLimitConfig.
type RateLimitConfigRef struct {
	// name is the RateLimitConfig's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is its namespace; the option's when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}
