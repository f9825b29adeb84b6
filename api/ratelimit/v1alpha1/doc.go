// Package v1alpha1 holds the ratelimit.solo.io/v1alpha1 RateLimitConfig kind: Gloo's
// rate limits, as descriptors and the actions that build them from a request (the
// envoyproxy/ratelimit service's model). VirtualHostOptions and RouteOptions attach
// them (options.rateLimitConfigs and its early and regular stages); the controller
// compiles them into api/snapshot/v1 rate limits per route.
//
// +kubebuilder:object:generate=true
// +groupName=ratelimit.solo.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this package's kinds.
	GroupVersion = schema.GroupVersion{Group: "ratelimit.solo.io", Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
