// Package v1 holds the gateway.solo.io/v1 policy kinds claimgate enforces:
// VirtualHostOption (per Gateway or listener) and RouteOption (per HTTPRoute). They are
// field-compatible with Gloo Gateway's kinds of the same names, so manifests written for
// Gloo apply unchanged. The controller compiles them into api/snapshot/v1 snapshots.
//
// +kubebuilder:object:generate=true
// +groupName=gateway.solo.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this package's kinds.
	GroupVersion = schema.GroupVersion{Group: "gateway.solo.io", Version: "v1"}

	// SchemeBuilder registers this package's kinds.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
