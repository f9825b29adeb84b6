package v1

// HeaderManipulation is Gloo's headerManipulation: headers added to and removed from
// requests and answers. For each, the removals run first, then the additions.
type HeaderManipulation struct {
	// requestHeadersToAdd are added to the request sent upstream.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	RequestHeadersToAdd []HeaderValueOption `json:"requestHeadersToAdd,omitempty"`
	// requestHeadersToRemove are removed from the request sent upstream.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	RequestHeadersToRemove []string `json:"requestHeadersToRemove,omitempty"`
	// responseHeadersToAdd are added to the answer.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	ResponseHeadersToAdd []ResponseHeaderValueOption `json:"responseHeadersToAdd,omitempty"`
	// responseHeadersToRemove are removed from the answer.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	ResponseHeadersToRemove []string `json:"responseHeadersToRemove,omitempty"`
}

// HeaderValueOption is a request header to add, written out or taken from a Secret.
// +kubebuilder:validation:XValidation:rule="has(self.header) != has(self.headerSecretRef)",message="requestHeadersToAdd: set exactly one of header or headerSecretRef"
type HeaderValueOption struct {
	// header is the name and value.
	// +optional
	Header *HeaderValue `json:"header,omitempty"`
	// headerSecretRef names a Secret whose entries are added as headers (name: value).
	// +optional
	HeaderSecretRef *HeaderSecretRef `json:"headerSecretRef,omitempty"`
	// append adds the value to the header's values (true, the default) or replaces
	// them (false).
	// +optional
	// +nullable
	Append *bool `json:"append,omitempty"`
}

// ResponseHeaderValueOption is a response header to add.
type ResponseHeaderValueOption struct {
	// header is the name and value.
	// +required
	Header HeaderValue `json:"header"`
	// append adds the value to the header's values (true, the default) or replaces
	// them (false).
	// +optional
	// +nullable
	Append *bool `json:"append,omitempty"`
}

// HeaderValue is a header name and value.
type HeaderValue struct {
	// key is the header name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`
	// value is the header value, literal.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value,omitempty"`
}

// HeaderSecretRef names a Secret.
type HeaderSecretRef struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the Secret's namespace; the option's when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}
