package v1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// UpstreamSpec is an LLM provider, a list of hosts or a Kubernetes Service (or one of
// the kinds of Gloo's that claimgate does not implement): exactly one kind.
// +kubebuilder:validation:XValidation:rule="[has(self.ai), has(self.static), has(self.kube), has(self.aws), has(self.awsEc2), has(self.azure), has(self.consul), has(self.gcp), has(self.pipe)].filter(x, x).size() == 1",message="spec: set exactly one of ai, static, kube, aws, awsEc2, azure, consul, gcp or pipe"
type UpstreamSpec struct {
	// ai is an LLM provider.
	// +optional
	AI *AIUpstream `json:"ai,omitempty"`
	// static is a list of hosts.
	// +optional
	Static *StaticUpstream `json:"static,omitempty"`
	// kube is a port of a Kubernetes Service, reached by its cluster DNS name.
	// +optional
	Kube *KubeUpstream `json:"kube,omitempty"`
	// aws is Gloo's aws (AWS Lambda functions). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	AWS *apiextensionsv1.JSON `json:"aws,omitempty"`
	// awsEc2 is Gloo's awsEc2 (AWS EC2 instances). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	AwsEc2 *apiextensionsv1.JSON `json:"awsEc2,omitempty"`
	// azure is Gloo's azure (Azure Functions). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Azure *apiextensionsv1.JSON `json:"azure,omitempty"`
	// consul is Gloo's consul (Consul services). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Consul *apiextensionsv1.JSON `json:"consul,omitempty"`
	// gcp is Gloo's gcp (Google Cloud Run and Functions). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	GCP *apiextensionsv1.JSON `json:"gcp,omitempty"`
	// pipe is Gloo's pipe (a Unix domain socket). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Pipe *apiextensionsv1.JSON `json:"pipe,omitempty"`
	// disableIstioAutoMtls is Gloo's Istio setting; ignored, and the status says so.
	// +optional
	// +nullable
	DisableIstioAutoMtls *bool `json:"disableIstioAutoMtls,omitempty"`
	// dnsRefreshRate is how often Envoy resolves the hosts; ignored (the proxy resolves
	// at each new connection), and the status says so.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DNSRefreshRate string `json:"dnsRefreshRate,omitempty"`
	// httpProxyHostname tunnels through an HTTP CONNECT proxy; ignored, and the status
	// says so.
	// +optional
	// +nullable
	// +kubebuilder:validation:MaxLength=253
	HTTPProxyHostname *string `json:"httpProxyHostname,omitempty"`
	// ignoreHealthOnHostRemoval is Envoy's health setting; ignored, and the status says so.
	// +optional
	// +nullable
	IgnoreHealthOnHostRemoval *bool `json:"ignoreHealthOnHostRemoval,omitempty"`
	// initialConnectionWindowSize is an HTTP/2 setting; ignored, and the status says so.
	// +optional
	// +nullable
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	InitialConnectionWindowSize *int64 `json:"initialConnectionWindowSize,omitempty"`
	// initialStreamWindowSize is an HTTP/2 setting; ignored, and the status says so.
	// +optional
	// +nullable
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	InitialStreamWindowSize *int64 `json:"initialStreamWindowSize,omitempty"`
	// maxConcurrentStreams is an HTTP/2 setting; ignored, and the status says so.
	// +optional
	// +nullable
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	MaxConcurrentStreams *int64 `json:"maxConcurrentStreams,omitempty"`
	// overrideStreamErrorOnInvalidHttpMessage is an HTTP/2 setting; ignored, and the
	// status says so.
	// +optional
	// +nullable
	OverrideStreamErrorOnInvalidHTTPMessage *bool `json:"overrideStreamErrorOnInvalidHttpMessage,omitempty"`
	// protocolSelection is USE_CONFIGURED_PROTOCOL (0) or USE_DOWNSTREAM_PROTOCOL (1);
	// ignored, and the status says so.
	// +optional
	ProtocolSelection *intstr.IntOrString `json:"protocolSelection,omitempty"`
	// proxyProtocolVersion sends a PROXY protocol header; ignored, and the status says so.
	// +optional
	// +nullable
	// +kubebuilder:validation:MaxLength=8
	ProxyProtocolVersion *string `json:"proxyProtocolVersion,omitempty"`
	// respectDnsTtl is Envoy's DNS setting; ignored, and the status says so.
	// +optional
	// +nullable
	RespectDNSTTL *bool `json:"respectDnsTtl,omitempty"`
	// useHttp2 speaks HTTP/2 to the upstream. The proxy speaks HTTP/2 to a TLS upstream
	// that offers it in ALPN; otherwise this is ignored, and the status says so.
	// +optional
	// +nullable
	UseHTTP2 *bool `json:"useHttp2,omitempty"`
	// sslConfig is the TLS the proxy speaks to a static upstream: server name,
	// verification (CA, subject alternative names) and client certificate.
	// +optional
	SslConfig *UpstreamSslConfig `json:"sslConfig,omitempty"`
	// circuitBreakers is Gloo's circuitBreakers (connection and request limits). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	CircuitBreakers *apiextensionsv1.JSON `json:"circuitBreakers,omitempty"`
	// connectionConfig is Gloo's connectionConfig (connection settings). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ConnectionConfig *apiextensionsv1.JSON `json:"connectionConfig,omitempty"`
	// discoveryMetadata is Gloo's discoveryMetadata (discovery labels). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	DiscoveryMetadata *apiextensionsv1.JSON `json:"discoveryMetadata,omitempty"`
	// failover is Gloo's failover (failover endpoints). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Failover *apiextensionsv1.JSON `json:"failover,omitempty"`
	// healthChecks is Gloo's healthChecks (active health checks). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	HealthChecks []OpaqueObject `json:"healthChecks,omitempty"`
	// httpConnectHeaders is Gloo's httpConnectHeaders (HTTP CONNECT tunnel headers). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	HTTPConnectHeaders []OpaqueObject `json:"httpConnectHeaders,omitempty"`
	// httpConnectSslConfig is Gloo's httpConnectSslConfig (HTTP CONNECT tunnel TLS). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	HTTPConnectSslConfig *apiextensionsv1.JSON `json:"httpConnectSslConfig,omitempty"`
	// loadBalancerConfig is Gloo's loadBalancerConfig (load-balancing algorithm). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	LoadBalancerConfig *apiextensionsv1.JSON `json:"loadBalancerConfig,omitempty"`
	// namespacedStatuses is Gloo's namespacedStatuses (where Gloo Edge wrote statuses). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	NamespacedStatuses *apiextensionsv1.JSON `json:"namespacedStatuses,omitempty"`
	// outlierDetection is Gloo's outlierDetection (passive health checks). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	OutlierDetection *apiextensionsv1.JSON `json:"outlierDetection,omitempty"`
	// preconnectPolicy is Gloo's preconnectPolicy (connections opened ahead). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	PreconnectPolicy *apiextensionsv1.JSON `json:"preconnectPolicy,omitempty"`
}

// KubeUpstream names a Service port. A Service in another namespace needs a
// ReferenceGrant there from gloo.solo.io/Upstream.
type KubeUpstream struct {
	// serviceName is the Service's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ServiceName string `json:"serviceName"`
	// serviceNamespace is the Service's namespace; the Upstream's when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	ServiceNamespace string `json:"serviceNamespace,omitempty"`
	// servicePort is the Service port (its port, not its targetPort).
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ServicePort int32 `json:"servicePort"`
	// selector selects the Service's pods in Gloo; claimgate reaches the Service by its
	// name, so it is ignored and the status says so.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Selector map[string]string `json:"selector,omitempty"`
	// serviceSpec is Gloo's serviceSpec (gRPC and REST function discovery). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ServiceSpec *apiextensionsv1.JSON `json:"serviceSpec,omitempty"`
	// subsetSpec is Gloo's subsetSpec (subset load balancing). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	SubsetSpec *apiextensionsv1.JSON `json:"subsetSpec,omitempty"`
}

// AIUpstream is one LLM provider.
// +kubebuilder:validation:XValidation:rule="[has(self.openai), has(self.mistral), has(self.anthropic), has(self.azureOpenai), has(self.gemini), has(self.vertexAi), has(self.bedrock), has(self.multi)].filter(x, x).size() == 1",message="ai: set exactly one of openai, mistral, anthropic, azureOpenai, gemini, vertexAi, bedrock or multi"
type AIUpstream struct {
	// openai is OpenAI (api.openai.com); the key goes in Authorization: Bearer.
	// +optional
	OpenAI *OpenAI `json:"openai,omitempty"`
	// mistral is Mistral AI (api.mistral.ai); the key goes in Authorization: Bearer.
	// +optional
	Mistral *Mistral `json:"mistral,omitempty"`
	// anthropic is Anthropic (api.anthropic.com); the key goes in x-api-key.
	// +optional
	Anthropic *Anthropic `json:"anthropic,omitempty"`
	// azureOpenai is Azure OpenAI; the key goes in api-key.
	// +optional
	AzureOpenAI *AzureOpenAI `json:"azureOpenai,omitempty"`
	// gemini is Google Gemini (generativelanguage.googleapis.com); the key goes in
	// x-goog-api-key.
	// +optional
	Gemini *Gemini `json:"gemini,omitempty"`
	// vertexAi is Gloo's vertexAi (Google Vertex AI). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	VertexAI *apiextensionsv1.JSON `json:"vertexAi,omitempty"`
	// bedrock is Gloo's bedrock (AWS Bedrock). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Bedrock *apiextensionsv1.JSON `json:"bedrock,omitempty"`
	// multi is a failover pool: LLM providers by priority, each priority a pool of
	// providers the requests are spread across (Gloo's ai.multi).
	// +optional
	Multi *MultiPool `json:"multi,omitempty"`
}

// OpenAI is the OpenAI provider.
type OpenAI struct {
	// authToken is the provider key. Without it no key is injected (a local model that
	// needs none, say) and the client's Authorization is still removed.
	// +optional
	AuthToken *SingleAuthToken `json:"authToken,omitempty"`
	// customHost, when set, replaces the provider's endpoint.
	// +optional
	CustomHost *CustomHost `json:"customHost,omitempty"`
	// model, when set, replaces the model of every request.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Model string `json:"model,omitempty"`
}

// Mistral is the Mistral AI provider.
type Mistral struct {
	// authToken is the provider key. Without it no key is injected (a local model that
	// needs none, say) and the client's Authorization is still removed.
	// +optional
	AuthToken *SingleAuthToken `json:"authToken,omitempty"`
	// customHost, when set, replaces the provider's endpoint.
	// +optional
	CustomHost *CustomHost `json:"customHost,omitempty"`
	// model, when set, replaces the model of every request.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Model string `json:"model,omitempty"`
}

// Anthropic is the Anthropic provider.
type Anthropic struct {
	// authToken is the provider key. Without it no key is injected (a local model that
	// needs none, say) and the client's Authorization is still removed.
	// +optional
	AuthToken *SingleAuthToken `json:"authToken,omitempty"`
	// customHost, when set, replaces the provider's endpoint.
	// +optional
	CustomHost *CustomHost `json:"customHost,omitempty"`
	// model, when set, replaces the model of every request.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Model string `json:"model,omitempty"`
	// version is the anthropic-version header sent; 2023-06-01 when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Version string `json:"version,omitempty"`
}

// AzureOpenAI is the Azure OpenAI provider.
// +kubebuilder:validation:XValidation:rule="has(self.endpoint) || has(self.customHost)",message="azureOpenai: set endpoint or customHost"
type AzureOpenAI struct {
	// authToken is the provider key. Without it no key is injected (a local model that
	// needs none, say) and the client's Authorization is still removed.
	// +optional
	AuthToken *SingleAuthToken `json:"authToken,omitempty"`
	// endpoint is the resource's host, for example my-resource.openai.azure.com,
	// reached over TLS on 443.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Endpoint string `json:"endpoint,omitempty"`
	// customHost, when set, replaces the endpoint (a proxy or a private endpoint).
	// +optional
	CustomHost *CustomHost `json:"customHost,omitempty"`
	// deploymentName is the model deployment requests go to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	DeploymentName string `json:"deploymentName"`
	// apiVersion is the api-version query parameter sent.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	APIVersion string `json:"apiVersion"`
}

// Gemini is the Google Gemini provider.
type Gemini struct {
	// authToken is the provider key. Without it no key is injected (a local model that
	// needs none, say) and the client's Authorization is still removed.
	// +optional
	AuthToken *SingleAuthToken `json:"authToken,omitempty"`
	// model is the model requests go to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Model string `json:"model"`
	// customHost, when set, replaces Gemini's endpoint (generativelanguage.googleapis.com).
	// +optional
	CustomHost *CustomHost `json:"customHost,omitempty"`
	// apiVersion is the API version in the path, for example v1beta.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	APIVersion string `json:"apiVersion"`
}

// SingleAuthToken is where a provider key comes from: exactly one source.
// +kubebuilder:validation:XValidation:rule="[has(self.inline), has(self.secretRef), has(self.passthrough)].filter(x, x).size() == 1",message="authToken: set exactly one of inline, secretRef or passthrough"
type SingleAuthToken struct {
	// inline is the key itself. Prefer secretRef: inline keys are readable by anyone who
	// can read the Upstream.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Inline *string `json:"inline,omitempty"`
	// secretRef names a Secret whose Authorization entry holds the key, for example
	// "Bearer sk-...".
	// +optional
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// passthrough forwards the client's own Authorization header.
	// +optional
	Passthrough *Passthrough `json:"passthrough,omitempty"`
}

// SecretRef names a Secret.
type SecretRef struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the Secret's namespace; the Upstream's when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// Passthrough forwards the client's credentials.
type Passthrough struct{}

// CustomHost is an endpoint that replaces a provider's default.
type CustomHost struct {
	// host is a DNS name or IP address.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`
	// port is the TCP port; TLS is used when it is 443. Absent means 443, as in Gloo.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// hostname, when set, is the Host header and the TLS server name sent instead of
	// host.
	// +optional
	// +nullable
	// +kubebuilder:validation:MaxLength=253
	Hostname *string `json:"hostname,omitempty"`
	// pathOverride changes the path requests are sent to.
	// +optional
	PathOverride *PathOverride `json:"pathOverride,omitempty"`
}

// PathOverride changes the path requests go to: one of fullPath or basePath.
// +kubebuilder:validation:XValidation:rule="!(has(self.fullPath) && has(self.basePath))",message="pathOverride: set one of fullPath or basePath"
type PathOverride struct {
	// fullPath replaces the path and query of every request; a query it holds is sent,
	// the client's is dropped.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^/`
	FullPath string `json:"fullPath,omitempty"`
	// basePath is prepended to the path of every request (/openai makes /v1/chat/completions
	// /openai/v1/chat/completions).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	BasePath string `json:"basePath,omitempty"`
}

// StaticUpstream is a plain list of hosts.
type StaticUpstream struct {
	// hosts are used in turn.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Hosts []Host `json:"hosts"`
	// useTls makes the proxy speak HTTPS to the hosts, verifying their certificates.
	// +optional
	UseTLS *bool `json:"useTls,omitempty"`
	// autoSniRewrite sends each host's addr (or sniAddr) as the TLS server name when
	// the upstream has no sslConfig.sni; true when unset, as in Gloo.
	// +optional
	// +nullable
	AutoSniRewrite *bool `json:"autoSniRewrite,omitempty"`
	// serviceSpec is Gloo's serviceSpec (gRPC and REST function discovery). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ServiceSpec *apiextensionsv1.JSON `json:"serviceSpec,omitempty"`
}

// Host is one host of a static upstream.
type Host struct {
	// addr is a DNS name or IP address.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Addr string `json:"addr"`
	// port is the TCP port.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// sniAddr is the TLS server name; addr when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SniAddr string `json:"sniAddr,omitempty"`
	// loadBalancingWeight is the host's share of the requests, relative to the other
	// hosts'; 1 when unset or 0.
	// +optional
	// +nullable
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	LoadBalancingWeight *int64 `json:"loadBalancingWeight,omitempty"`
	// healthCheckConfig is Gloo's healthCheckConfig (per-host health check path). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	HealthCheckConfig *apiextensionsv1.JSON `json:"healthCheckConfig,omitempty"`
	// metadata is Gloo's metadata (per-host Envoy metadata). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Metadata *apiextensionsv1.JSON `json:"metadata,omitempty"`
}

// UpstreamStatus is what the controller made of an Upstream.
type UpstreamStatus struct {
	// conditions are Accepted and ResolvedRefs, each with observedGeneration.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// options lists every field of spec the Upstream sets beyond its kind that
	// claimgate does not honor, and what it does instead.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Options []gatewayv1.OptionStatus `json:"options,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=us,categories=claimgate;gloo-gateway
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Upstream is a backend HTTPRoutes can send traffic to: an LLM provider with its key, or
// a list of hosts.
type Upstream struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the user asks for.
	// +required
	Spec UpstreamSpec `json:"spec"`
	// status is what the controller made of it.
	// +optional
	Status UpstreamStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// UpstreamList is a list of Upstreams.
type UpstreamList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Upstream `json:"items"`
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Upstream{}, &UpstreamList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// OpaqueObject is an object of Gloo's that claimgate keeps as written without reading it.
// +kubebuilder:pruning:PreserveUnknownFields
// +kubebuilder:validation:Schemaless
// +kubebuilder:validation:Type=object
type OpaqueObject struct {
	apiextensionsv1.JSON `json:",inline"`
}
