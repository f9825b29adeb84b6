package v1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// UpstreamSslConfig is Gloo's sslConfig: how the proxy speaks TLS to the upstream. An
// Upstream with sslConfig is always reached over TLS.
// +kubebuilder:validation:XValidation:rule="!(has(self.secretRef) && has(self.sslFiles)) && !(has(self.secretRef) && has(self.sds)) && !(has(self.sslFiles) && has(self.sds))",message="sslConfig: set at most one of secretRef, sslFiles or sds"
type UpstreamSslConfig struct {
	// secretRef names a Secret with the client certificate (tls.crt, tls.key) and the
	// CA that verifies the upstream (ca.crt), each optional.
	// +optional
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// sslFiles are files on Envoy's disk. A claimgate proxy reads nothing from its disk
	// for an upstream: an Upstream with sslFiles is refused, and its status says why.
	// +optional
	SslFiles *SslFiles `json:"sslFiles,omitempty"`
	// sds fetches certificates from a secret discovery service; refused as sslFiles is.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Sds *apiextensionsv1.JSON `json:"sds,omitempty"`
	// sni is the TLS server name sent; the host's sniAddr or addr when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Sni string `json:"sni,omitempty"`
	// verifySubjectAltName, when set, are the names one of which the upstream's
	// certificate must carry, instead of the server name.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	VerifySubjectAltName []string `json:"verifySubjectAltName,omitempty"`
	// parameters bound the TLS versions.
	// +optional
	Parameters *SslParameters `json:"parameters,omitempty"`
	// alpnProtocols are offered in the handshake; HTTP/2 is spoken when "h2" is chosen.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=32
	AlpnProtocols []string `json:"alpnProtocols,omitempty"`
	// allowRenegotiation lets the upstream renegotiate; claimgate never allows it and the
	// status says so when it is set.
	// +optional
	// +nullable
	AllowRenegotiation *bool `json:"allowRenegotiation,omitempty"`
	// oneWayTls, with a CA in secretRef, does not present the client certificate.
	// +optional
	// +nullable
	OneWayTLS *bool `json:"oneWayTls,omitempty"`
}

// SslFiles are certificate files on Envoy's disk.
type SslFiles struct {
	// tlsCert is the client certificate's path.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	TLSCert string `json:"tlsCert,omitempty"`
	// tlsKey is the client key's path.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	TLSKey string `json:"tlsKey,omitempty"`
	// rootCa is the CA's path.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	RootCa string `json:"rootCa,omitempty"`
	// ocspStaple is an OCSP response's path.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	OcspStaple string `json:"ocspStaple,omitempty"`
}

// SslParameters bound the TLS the proxy speaks.
type SslParameters struct {
	// minimumProtocolVersion is TLS_AUTO (0), TLSv1_0 (1), TLSv1_1 (2), TLSv1_2 (3) or
	// TLSv1_3 (4).
	// +optional
	MinimumProtocolVersion *intstr.IntOrString `json:"minimumProtocolVersion,omitempty"`
	// maximumProtocolVersion is as minimumProtocolVersion.
	// +optional
	MaximumProtocolVersion *intstr.IntOrString `json:"maximumProtocolVersion,omitempty"`
	// cipherSuites are OpenSSL cipher names; the proxy uses Go's TLS suites, so they are
	// ignored and the status says so.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=128
	CipherSuites []string `json:"cipherSuites,omitempty"`
	// ecdhCurves are curve names; ignored as cipherSuites.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=64
	EcdhCurves []string `json:"ecdhCurves,omitempty"`
}
