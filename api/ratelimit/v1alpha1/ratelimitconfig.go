package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// RateLimitConfigSpec is Gloo's RateLimitConfig spec: its raw form. Fields Gloo's API
// does not have are kept (as Gloo's CRD keeps them) and named in the status message.
// +kubebuilder:pruning:PreserveUnknownFields
type RateLimitConfigSpec struct {
	// raw is the configuration in the rate-limit service's own terms.
	// +optional
	Raw *RawRateLimits `json:"raw,omitempty"`
	// unknown are the paths of the fields the object sets that this API does not have,
	// found when it is decoded.
	Unknown []string `json:"-"`
}

// RawRateLimits are descriptors with their limits and the actions that build request
// descriptors.
// +kubebuilder:pruning:PreserveUnknownFields
type RawRateLimits struct {
	// descriptors is the tree of descriptors and their limits.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	Descriptors []Descriptor `json:"descriptors,omitempty"`
	// rateLimits are the actions, each list building one request descriptor.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	RateLimits []RateLimitActions `json:"rateLimits,omitempty"`
	// setDescriptors are the set-style limits, matched against setActions descriptors.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	SetDescriptors []SetDescriptor `json:"setDescriptors,omitempty"`
}

// Descriptor is a node of the descriptor tree: a request descriptor entry with this key
// (and value, when set) reaches it.
// +kubebuilder:pruning:PreserveUnknownFields
type Descriptor struct {
	// key is the entry's key.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key,omitempty"`
	// value, when set, must equal the entry's value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value,omitempty"`
	// rateLimit is the limit of a request descriptor that ends here.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	// descriptors are the nodes below this one (kept schemaless: a schema cannot nest
	// itself; the controller checks them).
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Descriptors []Descriptor `json:"descriptors,omitempty"`
	// weight: of the limits a request matches, only those of the highest weight apply,
	// and those with alwaysApply.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	Weight int64 `json:"weight,omitempty"`
	// alwaysApply applies the limit whatever the weights.
	// +optional
	AlwaysApply bool `json:"alwaysApply,omitempty"`
}

// SetDescriptor is a set-style limit: it applies when every simple descriptor is in a
// request's set descriptor, in any order.
// +kubebuilder:pruning:PreserveUnknownFields
type SetDescriptor struct {
	// simpleDescriptors must all be present; one without value matches any value.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	SimpleDescriptors []SimpleDescriptor `json:"simpleDescriptors,omitempty"`
	// rateLimit is the limit.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	// alwaysApply applies the limit whatever the weights.
	// +optional
	AlwaysApply bool `json:"alwaysApply,omitempty"`
}

// SimpleDescriptor is a key and an optional value.
// +kubebuilder:pruning:PreserveUnknownFields
type SimpleDescriptor struct {
	// key is the entry's key.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key,omitempty"`
	// value, when set, must equal the entry's value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value,omitempty"`
}

// RateLimit is a number of requests (tokens, on an AI route) per unit of time.
// +kubebuilder:pruning:PreserveUnknownFields
type RateLimit struct {
	// unit is SECOND (1), MINUTE (2), HOUR (3) or DAY (4).
	// +optional
	Unit *intstr.IntOrString `json:"unit,omitempty"`
	// requestsPerUnit is the limit per window.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	RequestsPerUnit int64 `json:"requestsPerUnit,omitempty"`
}

// RateLimitActions build one request descriptor.
// +kubebuilder:pruning:PreserveUnknownFields
type RateLimitActions struct {
	// actions build an ordered descriptor, matched against descriptors.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Actions []Action `json:"actions,omitempty"`
	// setActions build a set descriptor, matched against setDescriptors.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	SetActions []Action `json:"setActions,omitempty"`
	// limit overrides the limit from dynamic metadata; claimgate has none, so it is
	// ignored and the status says so.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Limit *runtime.RawExtension `json:"limit,omitempty"`
}

// Action yields one entry of a request descriptor: exactly one kind is set.
// +kubebuilder:pruning:PreserveUnknownFields
type Action struct {
	// sourceCluster yields the Gateway's name.
	// +optional
	SourceCluster *Empty `json:"sourceCluster,omitempty"`
	// destinationCluster yields the upstream's name.
	// +optional
	DestinationCluster *Empty `json:"destinationCluster,omitempty"`
	// requestHeaders yields a request header's value.
	// +optional
	RequestHeaders *RequestHeaders `json:"requestHeaders,omitempty"`
	// remoteAddress yields the client's address.
	// +optional
	RemoteAddress *Empty `json:"remoteAddress,omitempty"`
	// genericKey yields a fixed value.
	// +optional
	GenericKey *GenericKey `json:"genericKey,omitempty"`
	// headerValueMatch yields a fixed value when the request's headers match.
	// +optional
	HeaderValueMatch *HeaderValueMatch `json:"headerValueMatch,omitempty"`
	// metadata yields a metadata value: with key envoy.filters.http.jwt_authn and path
	// principal, <claim>, … a claim of the verified JWT.
	// +optional
	Metadata *MetaData `json:"metadata,omitempty"`
}

// Empty is an action without settings.
// +kubebuilder:pruning:PreserveUnknownFields
type Empty struct{}

// RequestHeaders yields (descriptorKey, the header's value).
// +kubebuilder:pruning:PreserveUnknownFields
type RequestHeaders struct {
	// headerName is the header.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	HeaderName string `json:"headerName,omitempty"`
	// descriptorKey is the entry's key.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DescriptorKey string `json:"descriptorKey,omitempty"`
}

// GenericKey yields ("generic_key", descriptorValue).
// +kubebuilder:pruning:PreserveUnknownFields
type GenericKey struct {
	// descriptorValue is the entry's value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DescriptorValue string `json:"descriptorValue,omitempty"`
}

// HeaderValueMatch yields ("header_match", descriptorValue) when the headers match.
// +kubebuilder:pruning:PreserveUnknownFields
type HeaderValueMatch struct {
	// descriptorValue is the entry's value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DescriptorValue string `json:"descriptorValue,omitempty"`
	// expectMatch yields the entry when the headers match (true, the default) or when
	// they do not (false).
	// +optional
	// +nullable
	ExpectMatch *bool `json:"expectMatch,omitempty"`
	// headers must all match.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Headers []HeaderMatcher `json:"headers,omitempty"`
}

// HeaderMatcher matches one header.
// +kubebuilder:pruning:PreserveUnknownFields
type HeaderMatcher struct {
	// name is the header.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
	// exactMatch is the whole value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ExactMatch *string `json:"exactMatch,omitempty"`
	// regexMatch is an RE2 expression the whole value matches.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	RegexMatch *string `json:"regexMatch,omitempty"`
	// rangeMatch is [start, end) of the value as an integer.
	// +optional
	RangeMatch *Int64Range `json:"rangeMatch,omitempty"`
	// presentMatch matches when the header is present (true) or absent (false).
	// +optional
	PresentMatch *bool `json:"presentMatch,omitempty"`
	// prefixMatch is a prefix of the value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	PrefixMatch *string `json:"prefixMatch,omitempty"`
	// suffixMatch is a suffix of the value.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	SuffixMatch *string `json:"suffixMatch,omitempty"`
	// invertMatch inverts the match.
	// +optional
	InvertMatch bool `json:"invertMatch,omitempty"`
}

// Int64Range is [start, end).
// +kubebuilder:pruning:PreserveUnknownFields
type Int64Range struct {
	// start is included.
	// +optional
	Start int64 `json:"start,omitempty"`
	// end is excluded.
	// +optional
	End int64 `json:"end,omitempty"`
}

// MetaData yields a value from metadata.
// +kubebuilder:pruning:PreserveUnknownFields
type MetaData struct {
	// descriptorKey is the entry's key.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DescriptorKey string `json:"descriptorKey,omitempty"`
	// metadataKey is where the value is read.
	// +optional
	MetadataKey *MetadataKey `json:"metadataKey,omitempty"`
	// defaultValue is yielded when the metadata has no value; without it the
	// descriptor is dropped.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DefaultValue string `json:"defaultValue,omitempty"`
	// source is DYNAMIC (0, the request's metadata) or ROUTE_ENTRY (1).
	// +optional
	Source *intstr.IntOrString `json:"source,omitempty"`
}

// MetadataKey names a metadata value: a filter's namespace and a path in it.
// +kubebuilder:pruning:PreserveUnknownFields
type MetadataKey struct {
	// key is the namespace, such as envoy.filters.http.jwt_authn.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key,omitempty"`
	// path are the keys below it.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Path []PathSegment `json:"path,omitempty"`
}

// PathSegment is one key of a metadata path.
// +kubebuilder:pruning:PreserveUnknownFields
type PathSegment struct {
	// key is the key.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key,omitempty"`
}

// RateLimitConfigState is what the controller made of a RateLimitConfig.
// +kubebuilder:validation:Enum=PENDING;ACCEPTED;REJECTED
type RateLimitConfigState string

// The states of a RateLimitConfig.
const (
	// StatePending: not compiled yet.
	StatePending RateLimitConfigState = "PENDING"
	// StateAccepted: compiled; the message names what was ignored, if anything.
	StateAccepted RateLimitConfigState = "ACCEPTED"
	// StateRejected: it cannot be used; the routes it applies to answer 500.
	StateRejected RateLimitConfigState = "REJECTED"
)

// RateLimitConfigStatus is Gloo's RateLimitConfig status.
type RateLimitConfigStatus struct {
	// state is PENDING, ACCEPTED or REJECTED.
	// +optional
	State RateLimitConfigState `json:"state,omitempty"`
	// message says why it was rejected, or what was ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	Message string `json:"message,omitempty"`
	// observedGeneration is the generation the state is about.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rlc,categories=claimgate;gloo-gateway
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// RateLimitConfig is a set of rate limits (token budgets, on AI routes) that
// VirtualHostOptions and RouteOptions attach to routes.
type RateLimitConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the user asks for.
	// +optional
	Spec RateLimitConfigSpec `json:"spec,omitempty"`
	// status is what the controller made of it.
	// +optional
	Status RateLimitConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RateLimitConfigList is a list of RateLimitConfigs.
type RateLimitConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RateLimitConfig `json:"items"`
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &RateLimitConfig{}, &RateLimitConfigList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// Annotations of a RateLimitConfig that opt in to claimgate's token-budget features
// (Gloo has neither; without them a token budget behaves as Gloo's does). Each takes
// "true" or "false"; any other value rejects the RateLimitConfig. They act only on
// routes whose limits count LLM tokens.
const (
	// AnnotationStopStreams ends a streamed answer once its owner's tokens reach the
	// limit, with a last event saying why in the provider's error-event shape.
	AnnotationStopStreams = "claimgate.dev/stop-streams-over-budget"
	// AnnotationReserveMaxTokens admits a request that states max_tokens only when that
	// many tokens, and its prompt's, fit under the limit; they stay reserved until the
	// answer ends and the real usage is charged instead.
	AnnotationReserveMaxTokens = "claimgate.dev/reserve-max-tokens" //nolint:gosec // an annotation name, not a credential
)
