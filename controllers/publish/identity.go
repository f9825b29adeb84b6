package publish

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// A proxy's client certificate names the one Gateway it serves with a URI SAN
// spiffe://claimgate.dev/ns/<namespace>/gateway/<name>. The server refuses a Hello for
// any other Gateway, so reading one namespace's proxy Secret never yields another
// Gateway's snapshot (and the provider keys in it). A client certificate without such a
// SAN (the bootstrap client Secret in the controller's namespace) may serve any Gateway.
const (
	identityHost   = "claimgate.dev"
	identityPrefix = "/ns/"
)

// GatewayURI is the URI SAN binding a proxy certificate to gw.
func GatewayURI(gw types.NamespacedName) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: identityHost, Path: identityPrefix + gw.Namespace + "/gateway/" + gw.Name}
}

// certGateway returns the Gateway a certificate is bound to, if any.
func certGateway(cert *x509.Certificate) (types.NamespacedName, bool) {
	for _, u := range cert.URIs {
		if u.Scheme != "spiffe" || u.Host != identityHost || !strings.HasPrefix(u.Path, identityPrefix) {
			continue
		}
		ns, name, ok := strings.Cut(strings.TrimPrefix(u.Path, identityPrefix), "/gateway/")
		if ok && ns != "" && name != "" {
			return types.NamespacedName{Namespace: ns, Name: name}, true
		}
	}
	return types.NamespacedName{}, false
}

// peerGateway returns the Gateway the stream's client certificate is bound to, if any.
func peerGateway(p *peer.Peer) (types.NamespacedName, bool) {
	if p == nil {
		return types.NamespacedName{}, false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return types.NamespacedName{}, false
	}
	return certGateway(info.State.PeerCertificates[0])
}

// ProxyIssuer issues the client certificates of Gateways' proxies.
type ProxyIssuer struct {
	ca       *authority
	clock    clock.PassiveClock
	validity time.Duration
}

// NewProxyIssuer issues with the bundle's CA (which must carry its key) certificates
// valid for validity (one year when zero).
func NewProxyIssuer(b *Bundle, clk clock.PassiveClock, validity time.Duration) (*ProxyIssuer, error) {
	if len(b.CAKey) == 0 {
		return nil, errors.New("the certificate bundle has no CA key to issue proxy certificates with")
	}
	ca, err := parseAuthority(keyPair{cert: b.CA, key: b.CAKey})
	if err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	if validity <= 0 {
		validity = 365 * 24 * time.Hour
	}
	return &ProxyIssuer{ca: ca, clock: clk, validity: validity}, nil
}

// CA is the PEM CA certificate proxies verify the controller with.
func (p *ProxyIssuer) CA() []byte { return p.ca.pair.cert }

// Issue returns a new PEM client certificate and key bound to gw.
func (p *ProxyIssuer) Issue(gw types.NamespacedName) (cert, key []byte, err error) {
	pair, err := p.ca.issueURI("claimgate-proxy "+gw.String(), GatewayURI(gw), p.clock.Now(), p.validity)
	if err != nil {
		return nil, nil, fmt.Errorf("issuing the proxy certificate of Gateway %s: %w", gw, err)
	}
	return pair.cert, pair.key, nil
}

// Valid reports whether cert and key are a client certificate of this CA bound to gw,
// valid for at least another month.
func (p *ProxyIssuer) Valid(gw types.NamespacedName, cert, key []byte) bool {
	if p.ca.verifyLeaf(keyPair{cert: cert, key: key}, nil, x509.ExtKeyUsageClientAuth, p.clock.Now(), renewBefore) != nil {
		return false
	}
	c, err := parseLeaf(cert)
	if err != nil {
		return false
	}
	bound, ok := certGateway(c)
	return ok && bound == gw
}
