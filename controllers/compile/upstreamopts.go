package compile

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// unsupportedKinds are Gloo's Upstream kinds claimgate does not implement: an Upstream
// of one is Accepted=False and routes to it answer 500.
var unsupportedKinds = map[string]string{
	"aws": "AWS Lambda functions", "awsEc2": "AWS EC2 instances", "azure": "Azure Functions",
	"consul": "Consul services", "gcp": "Google Cloud functions", "pipe": "Unix domain sockets",
}

// honoredUpstreamFields are the fields of UpstreamSpec claimgate reads; every other set
// field is ignored with a note.
var honoredUpstreamFields = map[string]bool{"ai": true, "static": true, "kube": true, "sslConfig": true}

// surveyUpstream records the fields of spec claimgate ignores or refuses.
func surveyUpstream(ir *upstreamIR) {
	spec := reflect.ValueOf(&ir.obj.Spec).Elem()
	for i := range spec.NumField() {
		name, _, _ := strings.Cut(spec.Type().Field(i).Tag.Get("json"), ",")
		if spec.Field(i).IsZero() || honoredUpstreamFields[name] {
			continue
		}
		if what, ok := unsupportedKinds[name]; ok {
			ir.refuse("spec."+name, fmt.Sprintf("claimgate does not implement Upstreams of %s; routes to this Upstream answer 500", what))
			continue
		}
		ir.ignore("spec."+name, "claimgate does not implement it; it changes nothing")
	}
	surveyUpstreamParts(ir, &ir.obj.Spec)
}

func surveyUpstreamParts(ir *upstreamIR, s *gloov1.UpstreamSpec) {
	if ai := s.AI; ai != nil {
		for i, set := range []bool{ai.VertexAI != nil, ai.Bedrock != nil} {
			if set {
				name := [...]string{"vertexAi", "bedrock"}[i]
				ir.refuse("spec.ai."+name, "claimgate does not implement it yet; routes to this Upstream answer 500")
			}
		}
		if ai.Multi != nil {
			surveyMulti(ir, ai.Multi)
		}
	}
	if k := s.Kube; k != nil {
		if len(k.Selector) > 0 {
			ir.ignore("spec.kube.selector", "claimgate reaches the Service by its name; the selector changes nothing")
		}
		if k.ServiceSpec != nil || k.SubsetSpec != nil {
			ir.ignore("spec.kube.serviceSpec", "claimgate does not implement function discovery or subsets; they change nothing")
		}
	}
	if st := s.Static; st != nil {
		if st.AutoSniRewrite != nil && !*st.AutoSniRewrite && (s.SslConfig == nil || s.SslConfig.Sni == "") {
			ir.ignore("spec.static.autoSniRewrite", "without sslConfig.sni the proxy sends each host's sniAddr or addr as the TLS server name")
		}
		if st.ServiceSpec != nil {
			ir.ignore("spec.static.serviceSpec", "claimgate does not implement function discovery; it changes nothing")
		}
		for i, h := range st.Hosts {
			if h.HealthCheckConfig != nil || h.Metadata != nil {
				ir.ignore(fmt.Sprintf("spec.static.hosts[%d]", i), "claimgate does not implement per-host health checks or metadata; they change nothing")
			}
		}
	}
}

// refuse records a field that makes the Upstream unusable.
func (u *upstreamIR) refuse(name, msg string) {
	u.options = append(u.options, gatewayv1.OptionStatus{Name: name, Outcome: gatewayv1.OptionRefused, Message: msg})
	u.invalid.add(gatewayv1.ReasonUnsupported, name+": "+msg)
}

// ignore records a field that changes nothing.
func (u *upstreamIR) ignore(name, msg string) {
	u.options = append(u.options, gatewayv1.OptionStatus{Name: name, Outcome: gatewayv1.OptionIgnored, Message: msg})
}

// tlsVersions are Gloo's TLS protocol versions, by name and number.
var tlsVersions = map[string]string{
	"TLS_AUTO": "", "0": "", "TLSv1_0": "1.0", "1": "1.0", "TLSv1_1": "1.1", "2": "1.1",
	"TLSv1_2": "1.2", "3": "1.2", "TLSv1_3": "1.3", "4": "1.3",
}

// applySslConfig makes every endpoint speak TLS as sslConfig says.
func (c *compiler) applySslConfig(ir *upstreamIR, eps []*snapshotv1.Endpoint) {
	ssl := ir.obj.Spec.SslConfig
	if ssl == nil || len(eps) == 0 {
		return
	}
	switch {
	case ssl.SslFiles != nil:
		ir.refuse("spec.sslConfig.sslFiles", "a claimgate proxy reads no certificate files; put them in a Secret and name it in sslConfig.secretRef")
		return
	case ssl.Sds != nil:
		ir.refuse("spec.sslConfig.sds", "claimgate does not fetch certificates from a secret discovery service; put them in a Secret and name it in sslConfig.secretRef")
		return
	}
	tmpl := &snapshotv1.Endpoint{Tls: true, Sni: ssl.Sni, VerifySubjectAltNames: ssl.VerifySubjectAltName, AlpnProtocols: ssl.AlpnProtocols}
	if p := ssl.Parameters; p != nil {
		tmpl.MinTlsVersion = c.tlsVersion(ir, "minimumProtocolVersion", p.MinimumProtocolVersion)
		tmpl.MaxTlsVersion = c.tlsVersion(ir, "maximumProtocolVersion", p.MaximumProtocolVersion)
		if len(p.CipherSuites) > 0 || len(p.EcdhCurves) > 0 {
			ir.ignore("spec.sslConfig.parameters.cipherSuites", "the proxy uses Go's TLS cipher suites and curves; these names change nothing")
		}
	}
	if ssl.AllowRenegotiation != nil && *ssl.AllowRenegotiation {
		ir.ignore("spec.sslConfig.allowRenegotiation", "the proxy never allows TLS renegotiation")
	}
	if ssl.SecretRef != nil {
		c.sslSecret(ir, tmpl, ssl)
	}
	for _, ep := range eps {
		ep.Tls, ep.VerifySubjectAltNames, ep.AlpnProtocols = true, tmpl.VerifySubjectAltNames, tmpl.AlpnProtocols
		ep.MinTlsVersion, ep.MaxTlsVersion = tmpl.MinTlsVersion, tmpl.MaxTlsVersion
		ep.CaPem, ep.ClientCertificatePem, ep.ClientPrivateKeyPem = tmpl.CaPem, tmpl.ClientCertificatePem, tmpl.ClientPrivateKeyPem
		if tmpl.Sni != "" {
			ep.Sni = tmpl.Sni
		}
	}
}

func (c *compiler) tlsVersion(ir *upstreamIR, field string, v *intstr.IntOrString) string {
	if v == nil {
		return ""
	}
	out, ok := tlsVersions[v.String()]
	if !ok {
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: sslConfig.parameters.%s %q is not one of TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3 (or 0-4)", ir.obj.Namespace, ir.obj.Name, field, v.String()))
	}
	return out
}

// sslSecret reads the client certificate and the CA of sslConfig.secretRef. Problems
// name the Secret and its entries, never their content.
func (c *compiler) sslSecret(ir *upstreamIR, ep *snapshotv1.Endpoint, ssl *gloov1.UpstreamSslConfig) {
	us := ir.obj
	key, _ := sslSecretKey(us)
	if !c.idx.refAllowed(groupGloo, kindUpstream, us.Namespace, groupCore, kindSecret, key.Namespace, key.Name) {
		ir.unresolved.add(gatewayv1.ReasonRefNotPermitted, fmt.Sprintf("sslConfig.secretRef Secret %s is in another namespace and no ReferenceGrant in %s allows Upstreams from %s to read it; add one or move the Secret", key, key.Namespace, us.Namespace))
		return
	}
	s, ok := c.idx.secrets[key]
	if !ok {
		ir.unresolved.add(gatewayv1.ReasonRefNotFound, fmt.Sprintf("sslConfig.secretRef Secret %s not found; create it with tls.crt and tls.key, and ca.crt to verify the upstream", key))
		return
	}
	crt, pkey, ca := s.Data["tls.crt"], s.Data["tls.key"], s.Data["ca.crt"]
	if len(ca) > 0 {
		if !validCA(ca) {
			ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("sslConfig.secretRef Secret %s: ca.crt holds no PEM certificate", key))
			return
		}
		ep.CaPem = ca
	}
	oneWay := ssl.OneWayTLS != nil && *ssl.OneWayTLS
	switch {
	case oneWay || (len(crt) == 0 && len(pkey) == 0):
	case len(crt) == 0 || len(pkey) == 0:
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("sslConfig.secretRef Secret %s has only one of tls.crt and tls.key; set both, or neither", key))
	default:
		if _, err := tls.X509KeyPair(crt, pkey); err != nil {
			ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("sslConfig.secretRef Secret %s: tls.crt and tls.key are not a matching PEM certificate and key", key))
			return
		}
		ep.ClientCertificatePem, ep.ClientPrivateKeyPem = crt, pkey
	}
}

// validCA reports whether b holds at least one PEM certificate.
func validCA(b []byte) bool {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return false
		}
		if _, err := x509.ParseCertificate(block.Bytes); block.Type == "CERTIFICATE" && err == nil {
			return true
		}
	}
}

// sslSecretKey names the Secret an Upstream's sslConfig.secretRef reads; false when it
// names none.
func sslSecretKey(us *gloov1.Upstream) (types.NamespacedName, bool) {
	ssl := us.Spec.SslConfig
	if ssl == nil || ssl.SecretRef == nil {
		return types.NamespacedName{}, false
	}
	key := types.NamespacedName{Namespace: ssl.SecretRef.Namespace, Name: ssl.SecretRef.Name}
	if key.Namespace == "" {
		key.Namespace = us.Namespace
	}
	return key, true
}
