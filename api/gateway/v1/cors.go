package v1

import "k8s.io/apimachinery/pkg/util/intstr"

// CorsPolicy is Gloo's cors: Cross-Origin Resource Sharing for a virtual host or route.
type CorsPolicy struct {
	// allowOrigin are the origins allowed, matched exactly ("*" allows every origin).
	// An origin is allowed when allowOrigin or allowOriginRegex matches it.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	AllowOrigin []string `json:"allowOrigin,omitempty"`
	// allowOriginRegex are RE2 expressions an allowed origin matches whole.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=1024
	AllowOriginRegex []string `json:"allowOriginRegex,omitempty"`
	// allowMethods is the access-control-allow-methods content.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=32
	AllowMethods []string `json:"allowMethods,omitempty"`
	// allowHeaders is the access-control-allow-headers content.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	AllowHeaders []string `json:"allowHeaders,omitempty"`
	// exposeHeaders is the access-control-expose-headers content.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// maxAge is the access-control-max-age content, in seconds.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,10}$`
	MaxAge string `json:"maxAge,omitempty"`
	// allowCredentials sends access-control-allow-credentials: true.
	// +optional
	AllowCredentials bool `json:"allowCredentials,omitempty"`
	// disableForRoute, on a route, turns the virtual host's CORS policy off for it.
	// +optional
	DisableForRoute bool `json:"disableForRoute,omitempty"`
}

// CorsPolicyMergeSettings says how a route's CORS policy combines with its virtual host's.
type CorsPolicyMergeSettings struct {
	// exposeHeaders is DEFAULT (0: the route's policy replaces the virtual host's) or
	// UNION (1: both lists).
	// +optional
	ExposeHeaders *intstr.IntOrString `json:"exposeHeaders,omitempty"`
}
