// Package v1 holds the gloo.solo.io/v1 Upstream kind: an LLM provider (spec.ai) or a
// plain list of hosts (spec.static) that HTTPRoutes send traffic to. It is
// field-compatible with Gloo Gateway's Upstream for these two forms. The controller
// resolves it, with its Secret, into api/snapshot/v1 upstreams.
//
// +kubebuilder:object:generate=true
// +groupName=gloo.solo.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this package's kinds.
	GroupVersion = schema.GroupVersion{Group: "gloo.solo.io", Version: "v1"}

	// SchemeBuilder registers this package's kinds.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
