package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// VirtualHostOptions are the options a VirtualHostOption sets on a virtual host.
// +kubebuilder:validation:XValidation:rule="!(has(self.jwt) && has(self.jwtStaged))",message="options: set at most one of jwt or jwtStaged"
type VirtualHostOptions struct {
	// jwt is JWT authentication (the after-ext-auth stage).
	// +optional
	Jwt *JwtVhostExtension `json:"jwt,omitempty"`
	// jwtStaged is JWT authentication per stage.
	// +optional
	JwtStaged *JwtStagedVhostExtension `json:"jwtStaged,omitempty"`
	// rbac is claim authorization.
	// +optional
	Rbac *Rbac `json:"rbac,omitempty"`
}

// RouteOptions are the options a RouteOption sets on the rules of a route.
// +kubebuilder:validation:XValidation:rule="[has(self.jwt), has(self.jwtStaged), has(self.jwtProvidersStaged)].filter(x, x).size() <= 1",message="options: set at most one of jwt, jwtStaged or jwtProvidersStaged"
type RouteOptions struct {
	// jwt changes the virtual host's JWT authentication for the route.
	// +optional
	Jwt *JwtRouteExtension `json:"jwt,omitempty"`
	// jwtStaged changes the virtual host's JWT authentication per stage.
	// +optional
	JwtStaged *JwtStagedRouteExtension `json:"jwtStaged,omitempty"`
	// jwtProvidersStaged replaces the virtual host's JWT providers per stage.
	// +optional
	JwtProvidersStaged *JwtStagedRouteProvidersExtension `json:"jwtProvidersStaged,omitempty"`
	// rbac is claim authorization; it replaces the virtual host's for the route.
	// +optional
	Rbac *Rbac `json:"rbac,omitempty"`
	// upgrades are the protocol upgrades the route takes. WebSocket upgrades are taken
	// by default; `{websocket: {enabled: false}}` refuses them (the request reaches the
	// upstream without its Upgrade header). An h2c upgrade never reaches an upstream.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	Upgrades []ProtocolUpgradeConfig `json:"upgrades,omitempty"`
}

// ProtocolUpgradeConfig configures one protocol upgrade.
type ProtocolUpgradeConfig struct {
	// websocket configures WebSocket upgrades.
	// +required
	Websocket *ProtocolUpgradeSpec `json:"websocket"`
}

// ProtocolUpgradeSpec says whether an upgrade is taken.
type ProtocolUpgradeSpec struct {
	// enabled takes the upgrade (true, the default) or refuses it (false).
	// +optional
	// +nullable
	Enabled *bool `json:"enabled,omitempty"`
}

// VirtualHostOptionSpec attaches options to Gateways or listeners.
type VirtualHostOptionSpec struct {
	// targetRefs are the Gateways (or listeners, with sectionName) the options apply to.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	TargetRefs []GatewayTargetReference `json:"targetRefs,omitempty"`
	// options are the settings applied.
	// +optional
	Options VirtualHostOptions `json:"options,omitempty"`
}

// RouteOptionSpec attaches options to HTTPRoutes.
type RouteOptionSpec struct {
	// targetRefs are the HTTPRoutes the options apply to. A RouteOption can also be
	// referenced from an HTTPRoute rule's ExtensionRef filter.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	TargetRefs []RouteTargetReference `json:"targetRefs,omitempty"`
	// options are the settings applied.
	// +optional
	Options RouteOptions `json:"options,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=vho,categories=claimgate;gloo-gateway
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=Direct"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// VirtualHostOption sets JWT authentication and claim authorization on the virtual hosts
// of a Gateway, or of one of its listeners.
type VirtualHostOption struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the user asks for.
	// +required
	Spec VirtualHostOptionSpec `json:"spec"`
	// status is what the controller made of it.
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// VirtualHostOptionList is a list of VirtualHostOptions.
type VirtualHostOptionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualHostOption `json:"items"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rto,categories=claimgate;gloo-gateway
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=Direct"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// RouteOption changes JWT authentication and sets claim authorization on the rules of an
// HTTPRoute.
type RouteOption struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the user asks for.
	// +required
	Spec RouteOptionSpec `json:"spec"`
	// status is what the controller made of it.
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RouteOptionList is a list of RouteOptions.
type RouteOptionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RouteOption `json:"items"`
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &VirtualHostOption{}, &VirtualHostOptionList{}, &RouteOption{}, &RouteOptionList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
