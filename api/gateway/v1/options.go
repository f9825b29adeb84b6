package v1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// VirtualHostOptions are the options a VirtualHostOption sets on a virtual host: every
// option of Gloo's, typed where claimgate implements it.
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
	// cors answers CORS preflights and adds CORS headers to cross-origin answers.
	// +optional
	Cors *CorsPolicy `json:"cors,omitempty"`
	// corsPolicyMergeSettings says how a route's cors combines with this one.
	// +optional
	CorsPolicyMergeSettings *CorsPolicyMergeSettings `json:"corsPolicyMergeSettings,omitempty"`
	// headerManipulation adds and removes request and response headers; a route's
	// applies first, then this one.
	// +optional
	HeaderManipulation *HeaderManipulation `json:"headerManipulation,omitempty"`
	// retries retries failed attempts on every route without retries of its own.
	// +optional
	Retries *RetryPolicy `json:"retries,omitempty"`
	// includeRequestAttemptCount sends x-envoy-attempt-count to the upstream.
	// +optional
	// +nullable
	IncludeRequestAttemptCount *bool `json:"includeRequestAttemptCount,omitempty"`
	// includeAttemptCountInResponse sends x-envoy-attempt-count to the client.
	// +optional
	// +nullable
	IncludeAttemptCountInResponse *bool `json:"includeAttemptCountInResponse,omitempty"`
	// bufferPerRoute is Gloo's bufferPerRoute option (request buffering). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	BufferPerRoute *apiextensionsv1.JSON `json:"bufferPerRoute,omitempty"`
	// csrf is Gloo's csrf option (CSRF protection). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Csrf *apiextensionsv1.JSON `json:"csrf,omitempty"`
	// dlp is Gloo's dlp option (data loss prevention). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Dlp *apiextensionsv1.JSON `json:"dlp,omitempty"`
	// extauth is Gloo's extauth option (external authorization). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Extauth *apiextensionsv1.JSON `json:"extauth,omitempty"`
	// extensions is Gloo's extensions option (Gloo plugin extensions). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Extensions *apiextensionsv1.JSON `json:"extensions,omitempty"`
	// extProc is Gloo's extProc option (external processing). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ExtProc *apiextensionsv1.JSON `json:"extProc,omitempty"`
	// extProcEarly is Gloo's extProcEarly option (external processing, early stage). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ExtProcEarly *apiextensionsv1.JSON `json:"extProcEarly,omitempty"`
	// extProcLate is Gloo's extProcLate option (external processing, late stage). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ExtProcLate *apiextensionsv1.JSON `json:"extProcLate,omitempty"`
	// ratelimit is Gloo's ratelimit option (inline rate limits). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Ratelimit *apiextensionsv1.JSON `json:"ratelimit,omitempty"`
	// ratelimitBasic is Gloo's ratelimitBasic option (basic rate limits). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	RatelimitBasic *apiextensionsv1.JSON `json:"ratelimitBasic,omitempty"`
	// rateLimitConfigs attaches RateLimitConfigs, applied after authorization, the regular stage.
	// +optional
	RateLimitConfigs *RateLimitConfigRefs `json:"rateLimitConfigs,omitempty"`
	// ratelimitEarly is Gloo's ratelimitEarly option (inline rate limits, before authentication). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	RatelimitEarly *apiextensionsv1.JSON `json:"ratelimitEarly,omitempty"`
	// rateLimitEarlyConfigs attaches RateLimitConfigs, applied before JWT authentication.
	// +optional
	RateLimitEarlyConfigs *RateLimitConfigRefs `json:"rateLimitEarlyConfigs,omitempty"`
	// ratelimitRegular is Gloo's ratelimitRegular option (inline rate limits, after authorization). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	RatelimitRegular *apiextensionsv1.JSON `json:"ratelimitRegular,omitempty"`
	// rateLimitRegularConfigs attaches RateLimitConfigs, applied after authorization.
	// +optional
	RateLimitRegularConfigs *RateLimitConfigRefs `json:"rateLimitRegularConfigs,omitempty"`
	// stagedTransformations is Gloo's stagedTransformations option (staged transformations). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	StagedTransformations *apiextensionsv1.JSON `json:"stagedTransformations,omitempty"`
	// stats is Gloo's stats option (virtual cluster statistics). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Stats *apiextensionsv1.JSON `json:"stats,omitempty"`
	// transformations is Gloo's transformations option (transformations). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Transformations *apiextensionsv1.JSON `json:"transformations,omitempty"`
	// waf is Gloo's waf option (web application firewall). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Waf *apiextensionsv1.JSON `json:"waf,omitempty"`
}

// RouteOptions are the options a RouteOption sets on the rules of a route: every option
// of Gloo's, typed where claimgate implements it.
// +kubebuilder:validation:XValidation:rule="[has(self.jwt), has(self.jwtStaged), has(self.jwtProvidersStaged)].filter(x, x).size() <= 1",message="options: set at most one of jwt, jwtStaged or jwtProvidersStaged"
// +kubebuilder:validation:XValidation:rule="[has(self.hostRewrite), has(self.autoHostRewrite), has(self.hostRewriteHeader), has(self.hostRewritePathRegex)].filter(x, x).size() <= 1",message="options: set at most one of hostRewrite, autoHostRewrite, hostRewriteHeader or hostRewritePathRegex"
// +kubebuilder:validation:XValidation:rule="!(has(self.prefixRewrite) && has(self.regexRewrite))",message="options: set at most one of prefixRewrite or regexRewrite"
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
	// timeout bounds the whole request, every retry included.
	// +optional
	Timeout *Duration `json:"timeout,omitempty"`
	// idleTimeout ends a request when no byte has gone either way for that long.
	// +optional
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`
	// maxStreamDuration ends a request that has lasted that long.
	// +optional
	MaxStreamDuration *MaxStreamDuration `json:"maxStreamDuration,omitempty"`
	// retries retries failed attempts; it replaces the virtual host's.
	// +optional
	Retries *RetryPolicy `json:"retries,omitempty"`
	// faults injects delays and aborts, for testing failover.
	// +optional
	Faults *RouteFaults `json:"faults,omitempty"`
	// prefixRewrite replaces the path prefix the route matched.
	// +optional
	// +nullable
	// +kubebuilder:validation:MaxLength=1024
	PrefixRewrite *string `json:"prefixRewrite,omitempty"`
	// regexRewrite rewrites the path with a regular expression.
	// +optional
	RegexRewrite *RegexMatchAndSubstitute `json:"regexRewrite,omitempty"`
	// hostRewrite replaces the Host header sent upstream.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HostRewrite string `json:"hostRewrite,omitempty"`
	// autoHostRewrite sends the chosen endpoint's host as the Host header.
	// +optional
	// +nullable
	AutoHostRewrite *bool `json:"autoHostRewrite,omitempty"`
	// hostRewriteHeader takes the Host header from another request header. claimgate
	// does not implement it: the option's status names it.
	// +optional
	// +nullable
	// +kubebuilder:validation:MaxLength=256
	HostRewriteHeader *string `json:"hostRewriteHeader,omitempty"`
	// hostRewritePathRegex takes the Host header from the path. claimgate does not
	// implement it: the option's status names it.
	// +optional
	HostRewritePathRegex *RegexMatchAndSubstitute `json:"hostRewritePathRegex,omitempty"`
	// appendXForwardedHost adds the original Host to x-forwarded-host when the host is
	// rewritten. claimgate does not implement it: the option's status names it.
	// +optional
	// +nullable
	AppendXForwardedHost *bool `json:"appendXForwardedHost,omitempty"`
	// headerManipulation adds and removes request and response headers; it applies
	// before the virtual host's.
	// +optional
	HeaderManipulation *HeaderManipulation `json:"headerManipulation,omitempty"`
	// cors answers CORS preflights and adds CORS headers; it replaces the virtual host's.
	// +optional
	Cors *CorsPolicy `json:"cors,omitempty"`
	// ai shapes requests to an AI Upstream: promptEnrichment, defaults, routeType and
	// promptGuard (regex, customResponse) are in effect; rag and semanticCache are not
	// implemented, and the option's status names them.
	// +optional
	AI *AIRouteSettings `json:"ai,omitempty"`
	// bufferPerRoute is Gloo's bufferPerRoute option (request buffering). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	BufferPerRoute *apiextensionsv1.JSON `json:"bufferPerRoute,omitempty"`
	// csrf is Gloo's csrf option (CSRF protection). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Csrf *apiextensionsv1.JSON `json:"csrf,omitempty"`
	// dlp is Gloo's dlp option (data loss prevention). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Dlp *apiextensionsv1.JSON `json:"dlp,omitempty"`
	// envoyMetadata is Gloo's envoyMetadata option (route metadata). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	EnvoyMetadata *apiextensionsv1.JSON `json:"envoyMetadata,omitempty"`
	// extauth is Gloo's extauth option (external authorization). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Extauth *apiextensionsv1.JSON `json:"extauth,omitempty"`
	// extensions is Gloo's extensions option (Gloo plugin extensions). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Extensions *apiextensionsv1.JSON `json:"extensions,omitempty"`
	// extProc is Gloo's extProc option (external processing). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ExtProc *apiextensionsv1.JSON `json:"extProc,omitempty"`
	// extProcEarly is Gloo's extProcEarly option (external processing, early stage). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ExtProcEarly *apiextensionsv1.JSON `json:"extProcEarly,omitempty"`
	// extProcLate is Gloo's extProcLate option (external processing, late stage). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ExtProcLate *apiextensionsv1.JSON `json:"extProcLate,omitempty"`
	// lbHash is Gloo's lbHash option (hash-based load balancing). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	LbHash *apiextensionsv1.JSON `json:"lbHash,omitempty"`
	// ratelimit is Gloo's ratelimit option (inline rate limits). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Ratelimit *apiextensionsv1.JSON `json:"ratelimit,omitempty"`
	// ratelimitBasic is Gloo's ratelimitBasic option (basic rate limits). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	RatelimitBasic *apiextensionsv1.JSON `json:"ratelimitBasic,omitempty"`
	// rateLimitConfigs attaches RateLimitConfigs, applied after authorization, the regular stage.
	// +optional
	RateLimitConfigs *RateLimitConfigRefs `json:"rateLimitConfigs,omitempty"`
	// ratelimitEarly is Gloo's ratelimitEarly option (inline rate limits, before authentication). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	RatelimitEarly *apiextensionsv1.JSON `json:"ratelimitEarly,omitempty"`
	// rateLimitEarlyConfigs attaches RateLimitConfigs, applied before JWT authentication.
	// +optional
	RateLimitEarlyConfigs *RateLimitConfigRefs `json:"rateLimitEarlyConfigs,omitempty"`
	// ratelimitRegular is Gloo's ratelimitRegular option (inline rate limits, after authorization). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	RatelimitRegular *apiextensionsv1.JSON `json:"ratelimitRegular,omitempty"`
	// rateLimitRegularConfigs attaches RateLimitConfigs, applied after authorization.
	// +optional
	RateLimitRegularConfigs *RateLimitConfigRefs `json:"rateLimitRegularConfigs,omitempty"`
	// shadowing is Gloo's shadowing option (request mirroring). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Shadowing *apiextensionsv1.JSON `json:"shadowing,omitempty"`
	// stagedTransformations is Gloo's stagedTransformations option (staged transformations). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	StagedTransformations *apiextensionsv1.JSON `json:"stagedTransformations,omitempty"`
	// tracing is Gloo's tracing option (tracing). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Tracing *apiextensionsv1.JSON `json:"tracing,omitempty"`
	// transformations is Gloo's transformations option (transformations). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Transformations *apiextensionsv1.JSON `json:"transformations,omitempty"`
	// waf is Gloo's waf option (web application firewall). claimgate does not implement it: it
	// is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Waf *apiextensionsv1.JSON `json:"waf,omitempty"`
}

// ProtocolUpgradeConfig configures one protocol upgrade.
// +kubebuilder:validation:XValidation:rule="[has(self.websocket), has(self.connect), has(self.connectTerminate)].filter(x, x).size() == 1",message="upgrades: set exactly one of websocket, connect or connectTerminate"
type ProtocolUpgradeConfig struct {
	// websocket configures WebSocket upgrades.
	// +optional
	Websocket *ProtocolUpgradeSpec `json:"websocket,omitempty"`
	// connect configures HTTP CONNECT. claimgate never passes CONNECT on: the option's
	// status says so when it is enabled.
	// +optional
	Connect *ProtocolUpgradeSpec `json:"connect,omitempty"`
	// connectTerminate configures CONNECT terminated at the proxy; as connect.
	// +optional
	ConnectTerminate *ProtocolUpgradeSpec `json:"connectTerminate,omitempty"`
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
	// namespacedStatuses is where Gloo Edge wrote statuses; claimgate reports in status
	// and ignores it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	NamespacedStatuses *apiextensionsv1.JSON `json:"namespacedStatuses,omitempty"`
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
	// namespacedStatuses is where Gloo Edge wrote statuses; claimgate reports in status
	// and ignores it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	NamespacedStatuses *apiextensionsv1.JSON `json:"namespacedStatuses,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=vho,categories=claimgate;gloo-gateway
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=Direct"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].reason`
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
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].reason`
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
