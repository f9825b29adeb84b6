package v1

import gwv1 "sigs.k8s.io/gateway-api/apis/v1"

// GatewayTargetReference names the Gateway (and optionally one of its listeners) a
// VirtualHostOption applies to.
type GatewayTargetReference struct {
	// group is the target's API group: gateway.networking.k8s.io, or
	// gateway.networking.x-k8s.io for an XListenerSet.
	// +optional
	// +kubebuilder:default=gateway.networking.k8s.io
	// +kubebuilder:validation:Enum=gateway.networking.k8s.io;gateway.networking.x-k8s.io
	Group string `json:"group,omitempty"`
	// kind is the target's kind: a Gateway, or an XListenerSet, which Gloo accepts and
	// claimgate does not support yet (the option's status says so).
	// +required
	// +kubebuilder:validation:Enum=Gateway;XListenerSet
	Kind string `json:"kind"`
	// name is the Gateway's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the Gateway's namespace; it must be the option's own namespace.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace *string `json:"namespace,omitempty"`
	// sectionName, when set, restricts the option to the Gateway listener of that name.
	// +optional
	SectionName *gwv1.SectionName `json:"sectionName,omitempty"`
}

// RouteTargetReference names the HTTPRoute a RouteOption applies to.
type RouteTargetReference struct {
	// group is the target's API group; only gateway.networking.k8s.io is supported.
	// +optional
	// +kubebuilder:default=gateway.networking.k8s.io
	// +kubebuilder:validation:Enum=gateway.networking.k8s.io
	Group string `json:"group,omitempty"`
	// kind is the target's kind; a RouteOption can only target an HTTPRoute.
	// +required
	// +kubebuilder:validation:Enum=HTTPRoute
	Kind string `json:"kind"`
	// name is the HTTPRoute's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the HTTPRoute's namespace; it must be the option's own namespace.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace *string `json:"namespace,omitempty"`
}
