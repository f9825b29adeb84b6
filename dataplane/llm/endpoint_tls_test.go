package llm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// clientPair returns a self-signed client certificate and its key, PEM.
func clientPair(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "proxy"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
}

func TestEndpointTLSSettings(t *testing.T) {
	certPEM, keyPEM := clientPair(t)
	e, err := CompileEndpoint(&snapshotv1.Endpoint{
		Host: "h", Port: 443, Tls: true, ClientCertificatePem: certPEM, ClientPrivateKeyPem: keyPEM,
		AlpnProtocols: []string{"h2", "http/1.1"}, MinTlsVersion: "1.3", MaxTlsVersion: "1.3",
	})
	require.NoError(t, err)
	cfg := e.tlsConfig()
	require.Len(t, cfg.Certificates, 1)
	require.Equal(t, []string{"h2", "http/1.1"}, cfg.NextProtos)
	require.Equal(t, uint16(tls.VersionTLS13), cfg.MinVersion)
	require.Equal(t, uint16(tls.VersionTLS13), cfg.MaxVersion)
	require.False(t, cfg.InsecureSkipVerify)

	plain, err := CompileEndpoint(&snapshotv1.Endpoint{Host: "h", Port: 443, Tls: true})
	require.NoError(t, err)
	cfg = plain.tlsConfig()
	require.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion, "the proxy's default minimum")
	require.Zero(t, cfg.MaxVersion)
	require.Nil(t, cfg.NextProtos)
}

func TestEndpointTLSErrors(t *testing.T) {
	certPEM, keyPEM := clientPair(t)
	otherCert, _ := clientPair(t)
	tests := map[string]struct {
		e    *snapshotv1.Endpoint
		want string
	}{
		"key without certificate":  {e: &snapshotv1.Endpoint{ClientPrivateKeyPem: keyPEM}, want: "without client_certificate_pem"},
		"certificate without key":  {e: &snapshotv1.Endpoint{ClientCertificatePem: certPEM}, want: "without client_private_key_pem"},
		"key of another cert":      {e: &snapshotv1.Endpoint{ClientCertificatePem: otherCert, ClientPrivateKeyPem: keyPEM}, want: "not a private key matching"},
		"key not PEM":              {e: &snapshotv1.Endpoint{ClientCertificatePem: certPEM, ClientPrivateKeyPem: []byte("secret-key-bytes")}, want: "holds no PEM block"},
		"certificate not PEM":      {e: &snapshotv1.Endpoint{ClientCertificatePem: []byte("x"), ClientPrivateKeyPem: keyPEM}, want: "holds no PEM certificate"},
		"unknown version":          {e: &snapshotv1.Endpoint{MinTlsVersion: "TLSv1_2"}, want: `min_tls_version "TLSv1_2" is not one of`},
		"max below default min":    {e: &snapshotv1.Endpoint{MaxTlsVersion: "1.1"}, want: "max_tls_version TLS 1.1 is below the minimum version TLS 1.2"},
		"max below min":            {e: &snapshotv1.Endpoint{MinTlsVersion: "1.3", MaxTlsVersion: "1.2"}, want: "below the minimum"},
		"empty alpn protocol":      {e: &snapshotv1.Endpoint{AlpnProtocols: []string{""}}, want: "alpn protocol"},
		"empty subject alt name":   {e: &snapshotv1.Endpoint{VerifySubjectAltNames: []string{"a", ""}}, want: "empty name"},
		"TLS settings without tls": {e: &snapshotv1.Endpoint{AlpnProtocols: []string{"h2"}, Tls: false}, want: "tls is not"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.e.Host, tc.e.Port = "h", 443
			if name != "TLS settings without tls" {
				tc.e.Tls = true
			}
			_, err := CompileEndpoint(tc.e)
			require.ErrorContains(t, err, tc.want)
			block, _ := pem.Decode(keyPEM)
			require.NotContains(t, err.Error(), "secret-key-bytes")
			require.NotContains(t, err.Error(), string(keyPEM[30:60]))
			require.NotContains(t, err.Error(), string(block.Bytes[:8]))
		})
	}
}

// TestTransportPerTLSSetting: two endpoints share a transport only when every TLS
// setting is the same.
func TestTransportPerTLSSetting(t *testing.T) {
	certPEM, keyPEM := clientPair(t)
	certPEM2, keyPEM2 := clientPair(t)
	base := &snapshotv1.Endpoint{Host: "h", Port: 443, Tls: true}
	variants := map[string]func(e *snapshotv1.Endpoint){
		"sni":           func(e *snapshotv1.Endpoint) { e.Sni = "a" },
		"client cert":   func(e *snapshotv1.Endpoint) { e.ClientCertificatePem, e.ClientPrivateKeyPem = certPEM, keyPEM },
		"other cert":    func(e *snapshotv1.Endpoint) { e.ClientCertificatePem, e.ClientPrivateKeyPem = certPEM2, keyPEM2 },
		"sans":          func(e *snapshotv1.Endpoint) { e.VerifySubjectAltNames = []string{"a"} },
		"sans split":    func(e *snapshotv1.Endpoint) { e.VerifySubjectAltNames = []string{"a", "b"} },
		"sans joined":   func(e *snapshotv1.Endpoint) { e.VerifySubjectAltNames = []string{"ab"} },
		"alpn":          func(e *snapshotv1.Endpoint) { e.AlpnProtocols = []string{"h2"} },
		"alpn http/1.1": func(e *snapshotv1.Endpoint) { e.AlpnProtocols = []string{"http/1.1"} },
		"min":           func(e *snapshotv1.Endpoint) { e.MinTlsVersion = "1.3" },
		"max":           func(e *snapshotv1.Endpoint) { e.MaxTlsVersion = "1.3" },
		"sans and sni":  func(e *snapshotv1.Endpoint) { e.Sni, e.VerifySubjectAltNames = "a", []string{"a"} },
	}
	trs := NewTransports(TransportConfig{})
	seen := map[any]string{}
	add := func(name string, e *snapshotv1.Endpoint) {
		ep, err := CompileEndpoint(e)
		require.NoError(t, err, name)
		tr := trs.For(ep)
		require.NotContains(t, ep.poolKey, string(keyPEM[30:60]))
		if prev, dup := seen[tr]; dup {
			t.Fatalf("%s shares the transport of %s", name, prev)
		}
		seen[tr] = name
		again, err := CompileEndpoint(e)
		require.NoError(t, err)
		require.Same(t, tr, trs.For(again), "%s: the same settings share a transport", name)
	}
	add("base", base)
	for name, mutate := range variants {
		e := proto.Clone(base).(*snapshotv1.Endpoint)
		mutate(e)
		add(name, e)
	}
}

func TestCertHasName(t *testing.T) {
	u, err := url.Parse("spiffe://cluster.local/ns/a/sa/b")
	require.NoError(t, err)
	c := &x509.Certificate{
		DNSNames: []string{"api.example.com", "*.svc.example.com"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")},
		URIs: []*url.URL{u}, EmailAddresses: []string{"ops@example.com"},
	}
	for name, want := range map[string]bool{
		"api.example.com": true, "API.Example.Com": true, "a.svc.example.com": true, "a.b.svc.example.com": false,
		".svc.example.com": false, "svc.example.com": false, "10.0.0.1": true, "10.0.0.2": false,
		"spiffe://cluster.local/ns/a/sa/b": true, "ops@example.com": true, "example.com": false,
	} {
		require.Equal(t, want, certHasName(c, name), name)
	}
}
