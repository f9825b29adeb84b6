package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Condition types and reasons written on VirtualHostOptions, RouteOptions and Upstreams.
const (
	// ConditionAccepted says whether the object was compiled into the snapshots it affects.
	ConditionAccepted = "Accepted"
	// ConditionResolvedRefs says whether every object it references was found and usable.
	ConditionResolvedRefs = "ResolvedRefs"

	// ReasonAccepted: the object is in effect.
	ReasonAccepted = "Accepted"
	// ReasonInvalid: the object cannot be compiled; the message says why.
	ReasonInvalid = "Invalid"
	// ReasonTargetNotFound: a targetRef names no existing object.
	ReasonTargetNotFound = "TargetNotFound"
	// ReasonShadowed: another option on the same target set every field this one sets.
	ReasonShadowed = "Shadowed"
	// ReasonUnsupported: the object sets an option claimgate does not implement that
	// admits or refuses traffic, so the routes it applies to answer 500.
	ReasonUnsupported = "Unsupported"
	// ReasonResolvedRefs: every reference was resolved.
	ReasonResolvedRefs = "ResolvedRefs"
	// ReasonRefNotFound: a referenced object (Secret, Upstream) does not exist.
	ReasonRefNotFound = "RefNotFound"
	// ReasonRefNotPermitted: a cross-namespace reference has no ReferenceGrant.
	ReasonRefNotPermitted = "RefNotPermitted"
)

// PolicyStatus is the status of a VirtualHostOption or RouteOption.
type PolicyStatus struct {
	// conditions are Accepted and ResolvedRefs, each with observedGeneration.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ancestors is the policy's status per target, as in Gateway API policy status.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Ancestors []PolicyAncestorStatus `json:"ancestors,omitempty"`
	// options lists every option the object sets and what claimgate does with it.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	Options []OptionStatus `json:"options,omitempty"`
}

// OptionOutcome is what claimgate does with an option.
// +kubebuilder:validation:Enum=Honored;Ignored;Refused
type OptionOutcome string

// The outcomes of an option.
const (
	// OptionHonored: the option is in effect as Gloo defines it.
	OptionHonored OptionOutcome = "Honored"
	// OptionIgnored: claimgate does not implement the option; it changes nothing.
	OptionIgnored OptionOutcome = "Ignored"
	// OptionRefused: claimgate cannot apply the option (not implemented, and it admits
	// or refuses traffic; or invalid): the routes it applies to answer 500.
	OptionRefused OptionOutcome = "Refused"
)

// OptionStatus is what claimgate does with one option of an object.
type OptionStatus struct {
	// name is the option's path in spec, such as options.retries.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`
	// outcome is Honored, Ignored or Refused.
	// +required
	Outcome OptionOutcome `json:"outcome"`
	// message says why, when it is not honored.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// PolicyAncestorStatus is a policy's status for one of its targets.
type PolicyAncestorStatus struct {
	// ancestorRef is the target.
	// +required
	AncestorRef gwv1.ParentReference `json:"ancestorRef"`
	// controllerName is the controller that wrote this entry.
	// +required
	ControllerName gwv1.GatewayController `json:"controllerName"`
	// conditions describe the policy at this target.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
