package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ValidationPolicy is what a JWT stage does with a missing or failed token, by name or
// by number (0, 1, 2).
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 2 : self in ['REQUIRE_VALID', 'ALLOW_MISSING', 'ALLOW_MISSING_OR_FAILED']",message="validationPolicy: must be REQUIRE_VALID, ALLOW_MISSING or ALLOW_MISSING_OR_FAILED (or 0, 1, 2)"
type ValidationPolicy string

// The validation policies.
const (
	// RequireValid: a valid token is required (the default).
	RequireValid ValidationPolicy = "REQUIRE_VALID"
	// AllowMissing: no token passes; a token that fails verification fails the stage.
	AllowMissing ValidationPolicy = "ALLOW_MISSING"
	// AllowMissingOrFailed: the stage always passes; claims come only from a verified token.
	AllowMissingOrFailed ValidationPolicy = "ALLOW_MISSING_OR_FAILED"
)

// JwtVhostExtension is a JWT authentication stage of a virtual host: a request passes
// when any provider verifies its token.
type JwtVhostExtension struct {
	// providers maps a provider name to how its tokens are verified.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Providers map[string]JwtProvider `json:"providers,omitempty"`
	// allowMissingOrFailedJwt, when true, lets every request through (as
	// validationPolicy ALLOW_MISSING_OR_FAILED); it wins over validationPolicy.
	// +optional
	AllowMissingOrFailedJwt bool `json:"allowMissingOrFailedJwt,omitempty"`
	// validationPolicy is what happens with a missing or failed token; REQUIRE_VALID
	// when unset.
	// +optional
	ValidationPolicy ValidationPolicy `json:"validationPolicy,omitempty"`
}

// JwtStagedVhostExtension sets JWT authentication per stage.
type JwtStagedVhostExtension struct {
	// beforeExtAuth runs before external authorization.
	// +optional
	BeforeExtAuth *JwtVhostExtension `json:"beforeExtAuth,omitempty"`
	// afterExtAuth runs after external authorization (the same stage as options.jwt).
	// +optional
	AfterExtAuth *JwtVhostExtension `json:"afterExtAuth,omitempty"`
}

// JwtRouteExtension changes a virtual host's JWT authentication for one route.
type JwtRouteExtension struct {
	// disable turns the stage's JWT authentication off for the route.
	// +optional
	Disable bool `json:"disable,omitempty"`
}

// JwtStagedRouteExtension changes a virtual host's JWT authentication per stage.
type JwtStagedRouteExtension struct {
	// beforeExtAuth applies to the before-ext-auth stage.
	// +optional
	BeforeExtAuth *JwtRouteExtension `json:"beforeExtAuth,omitempty"`
	// afterExtAuth applies to the after-ext-auth stage.
	// +optional
	AfterExtAuth *JwtRouteExtension `json:"afterExtAuth,omitempty"`
}

// JwtStagedRouteProvidersExtension replaces a virtual host's JWT providers per stage for
// one route.
type JwtStagedRouteProvidersExtension struct {
	// beforeExtAuth replaces the before-ext-auth stage.
	// +optional
	BeforeExtAuth *JwtVhostExtension `json:"beforeExtAuth,omitempty"`
	// afterExtAuth replaces the after-ext-auth stage.
	// +optional
	AfterExtAuth *JwtVhostExtension `json:"afterExtAuth,omitempty"`
}

// JwtProvider says how the tokens of one issuer are verified.
type JwtProvider struct {
	// jwks is where the verification keys come from.
	// +required
	Jwks Jwks `json:"jwks"`
	// audiences, when set, must contain one of the token's aud values.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=512
	Audiences []string `json:"audiences,omitempty"`
	// issuer, when set, must equal the token's iss claim.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Issuer string `json:"issuer,omitempty"`
	// tokenSource is where the token is read from; by default the Authorization header
	// with prefix "Bearer ", then the access_token query parameter.
	// +optional
	TokenSource *TokenSource `json:"tokenSource,omitempty"`
	// keepToken forwards what carried the token; by default it is removed.
	// +optional
	KeepToken bool `json:"keepToken,omitempty"`
	// claimsToHeaders copy verified claims into request headers.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	ClaimsToHeaders []ClaimToHeader `json:"claimsToHeaders,omitempty"`
	// clockSkewSeconds is the leeway for exp and nbf; 60 when unset. Any uint32 applies,
	// as in Gloo; a large skew keeps expired tokens valid that much longer.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	ClockSkewSeconds *int64 `json:"clockSkewSeconds,omitempty"`
	// attachFailedStatusToMetadata is Gloo's dynamic-metadata key for a failed
	// verification. claimgate has no dynamic metadata: the policy's status says it is
	// ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	AttachFailedStatusToMetadata string `json:"attachFailedStatusToMetadata,omitempty"`
}

// Jwks is a provider's key set: exactly one of local or remote.
// +kubebuilder:validation:XValidation:rule="has(self.local) != has(self.remote)",message="jwks: set exactly one of local or remote"
type Jwks struct {
	// local is inline key material.
	// +optional
	Local *LocalJwks `json:"local,omitempty"`
	// remote is a key set fetched over HTTP(S).
	// +optional
	Remote *RemoteJwks `json:"remote,omitempty"`
}

// LocalJwks is inline key material.
type LocalJwks struct {
	// key is a PEM public key, one JWK, or a JWKS document.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	Key string `json:"key"`
}

// RemoteJwks is a key set fetched over HTTP(S) and refreshed in the background.
type RemoteJwks struct {
	// url is the key set's address.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('http://') || self.startsWith('https://')",message="jwks.remote.url must start with http:// or https://"
	URL string `json:"url"`
	// upstreamRef, when set, names the gloo.solo.io Upstream the fetch connects to.
	// +optional
	UpstreamRef *ResourceRef `json:"upstreamRef,omitempty"`
	// cacheDuration is how long a fetched set is used before it is refreshed; 5m when
	// unset.
	// +optional
	CacheDuration *metav1.Duration `json:"cacheDuration,omitempty"`
	// asyncFetch fetches the key set at start-up rather than on first use.
	// +optional
	AsyncFetch *AsyncFetch `json:"asyncFetch,omitempty"`
}

// AsyncFetch fetches a remote key set ahead of the first request.
type AsyncFetch struct {
	// fastListener starts serving before the first fetch completes.
	// +optional
	FastListener bool `json:"fastListener,omitempty"`
}

// ResourceRef names an object by name and namespace.
type ResourceRef struct {
	// name is the object's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the object's namespace; the referring object's when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// TokenSource says where a token is read from.
type TokenSource struct {
	// headers are tried first, in order.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	Headers []HeaderSource `json:"headers,omitempty"`
	// queryParams are tried next, in order.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	QueryParams []string `json:"queryParams,omitempty"`
}

// HeaderSource is a header that may carry a token.
type HeaderSource struct {
	// header is the header name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Header string `json:"header"`
	// prefix is removed from the header value, for example "Bearer ".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Prefix string `json:"prefix,omitempty"`
}

// ClaimToHeader copies a verified claim into a request header.
type ClaimToHeader struct {
	// claim is the claim name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Claim string `json:"claim"`
	// header is the request header written.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Header string `json:"header"`
	// append adds to a client-sent header instead of replacing it.
	// +optional
	Append bool `json:"append,omitempty"`
}
