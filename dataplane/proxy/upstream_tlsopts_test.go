package proxy_test

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
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// tlsBackend is an HTTPS upstream (httptest's certificate: 127.0.0.1, example.com and
// *.example.com) that records the protocol and client certificate of each request.
type tlsBackend struct {
	srv   *httptest.Server
	caPEM []byte
	mu    sync.Mutex
	proto []string
	peers []string // the client certificate's common name, "" without one
}

func newTLSBackend(t *testing.T, http2 bool, configure func(*tls.Config)) *tlsBackend {
	t.Helper()
	b := &tlsBackend{}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.proto = append(b.proto, r.Proto)
		peer := ""
		if len(r.TLS.PeerCertificates) > 0 {
			peer = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		b.peers = append(b.peers, peer)
		_, _ = w.Write([]byte("ok"))
	}))
	b.srv.EnableHTTP2 = http2
	b.srv.TLS = &tls.Config{}
	if configure != nil {
		configure(b.srv.TLS)
	}
	b.srv.StartTLS()
	t.Cleanup(b.srv.Close)
	b.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.srv.Certificate().Raw})
	return b
}

// take returns what the backend saw since the last call.
func (b *tlsBackend) take() (protos, peers []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	protos, peers, b.proto, b.peers = b.proto, b.peers, nil, nil
	return protos, peers
}

// endpoint is an HTTPS endpoint for the backend, verified with its certificate.
func (b *tlsBackend) endpoint(t *testing.T) *snapshotv1.Endpoint {
	t.Helper()
	host, p, err := net.SplitHostPort(b.srv.Listener.Addr().String())
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return &snapshotv1.Endpoint{Host: host, Port: uint32(port), Tls: true, CaPem: b.caPEM}
}

// clientCertificate returns a certificate for client authentication and its key, PEM.
func clientCertificate(t *testing.T, cn string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	cert, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), cert
}

// sendThrough applies the tutorial with ep as the OpenAI endpoint and returns the status
// of one request.
func sendThrough(t *testing.T, h *harness, ep *snapshotv1.Endpoint) int {
	t.Helper()
	s := tutorial(t, h.port, "127.0.0.1:1", false, false)
	s.Upstreams[0].GetLlm().Endpoint = ep
	h.apply(s, false)
	resp, body := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
	if resp.StatusCode == http.StatusOK {
		require.Equal(t, "ok", body)
	}
	return resp.StatusCode
}

// TestUpstreamClientCertificate: the proxy presents the endpoint's client certificate to
// a backend that requires one; without it the backend refuses the handshake (502).
func TestUpstreamClientCertificate(t *testing.T) {
	certPEM, keyPEM, cert := clientCertificate(t, "claimgate-proxy")
	backend := newTLSBackend(t, false, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = x509.NewCertPool()
		c.ClientCAs.AddCert(cert)
	})
	h := newHarness(t, fakellm.Config{})

	ep := backend.endpoint(t)
	ep.ClientCertificatePem, ep.ClientPrivateKeyPem = certPEM, keyPEM
	require.Equal(t, http.StatusOK, sendThrough(t, h, ep))
	_, peers := backend.take()
	require.Equal(t, []string{"claimgate-proxy"}, peers)

	require.Equal(t, http.StatusBadGateway, sendThrough(t, h, backend.endpoint(t)))
	_, peers = backend.take()
	require.Empty(t, peers, "no request without a client certificate")
}

// TestUpstreamClientKeyNeverInNack: a client key that does not match its certificate
// rejects the snapshot; the error names the field, never the key.
func TestUpstreamClientKeyNeverInNack(t *testing.T) {
	certPEM, _, _ := clientCertificate(t, "a")
	_, keyPEM, _ := clientCertificate(t, "b")
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, "127.0.0.1:1", false, false)
	s.Upstreams[0].GetLlm().Endpoint = &snapshotv1.Endpoint{Host: "h", Port: 443, Tls: true, ClientCertificatePem: certPEM, ClientPrivateKeyPem: keyPEM}
	require.NoError(t, snapshotv1.SetVersion(s))
	err := h.srv.Apply(s)
	require.ErrorContains(t, err, "upstream "+openaiUpstream)
	require.ErrorContains(t, err, "client_private_key_pem is not a private key matching client_certificate_pem")
	block, _ := pem.Decode(keyPEM)
	require.NotContains(t, err.Error(), string(keyPEM[28:80]))
	require.NotContains(t, err.Error(), string(block.Bytes[:16]))
}

// TestUpstreamSubjectAltNames: with verify_subject_alt_names the chain is verified and
// one of the names must be in the certificate, whatever the SNI says.
func TestUpstreamSubjectAltNames(t *testing.T) {
	backend := newTLSBackend(t, false, nil)
	h := newHarness(t, fakellm.Config{})
	tests := map[string]struct {
		sans   []string
		noCA   bool
		status int
	}{
		"a listed name is in the certificate": {sans: []string{"other.test", "example.com"}, status: http.StatusOK},
		"a wildcard in the certificate":       {sans: []string{"api.example.com"}, status: http.StatusOK},
		"an IP address SAN":                   {sans: []string{"127.0.0.1"}, status: http.StatusOK},
		"no listed name in the certificate":   {sans: []string{"other.test"}, status: http.StatusBadGateway},
		"the chain is still verified":         {sans: []string{"example.com"}, noCA: true, status: http.StatusBadGateway},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ep := backend.endpoint(t)
			// The SNI names a host the certificate does not cover: only the SANs count.
			ep.Sni, ep.VerifySubjectAltNames = "api.openai.com", tc.sans
			if tc.noCA {
				ep.CaPem = nil
			}
			require.Equal(t, tc.status, sendThrough(t, h, ep))
			protos, _ := backend.take()
			require.Equal(t, tc.status == http.StatusOK, len(protos) == 1)
		})
	}
}

// TestUpstreamALPN: the proxy speaks HTTP/2 to an endpoint only when "h2" is offered
// (or no protocol is listed, as before) and negotiated; HTTP/1.1 otherwise.
func TestUpstreamALPN(t *testing.T) {
	h2 := newTLSBackend(t, true, nil)
	h1 := newTLSBackend(t, false, nil)
	h := newHarness(t, fakellm.Config{})
	tests := map[string]struct {
		backend *tlsBackend
		alpn    []string
		want    string
	}{
		"nothing listed: HTTP/2 as before": {backend: h2, want: "HTTP/2.0"},
		"h2 offered and negotiated":        {backend: h2, alpn: []string{"h2", "http/1.1"}, want: "HTTP/2.0"},
		"only h2 offered":                  {backend: h2, alpn: []string{"h2"}, want: "HTTP/2.0"},
		"http/1.1 offered":                 {backend: h2, alpn: []string{"http/1.1"}, want: "HTTP/1.1"},
		"h2 offered, not negotiated":       {backend: h1, alpn: []string{"h2", "http/1.1"}, want: "HTTP/1.1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ep := tc.backend.endpoint(t)
			ep.AlpnProtocols = tc.alpn
			require.Equal(t, http.StatusOK, sendThrough(t, h, ep))
			protos, _ := tc.backend.take()
			require.Equal(t, []string{tc.want}, protos)
		})
	}
}

// TestUpstreamTLSVersions: min_tls_version and max_tls_version bound the handshake.
func TestUpstreamTLSVersions(t *testing.T) {
	tls12 := newTLSBackend(t, false, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
	tls13 := newTLSBackend(t, false, func(c *tls.Config) { c.MinVersion = tls.VersionTLS13 })
	h := newHarness(t, fakellm.Config{})
	tests := map[string]struct {
		backend  *tlsBackend
		min, max string
		status   int
	}{
		"1.2 backend, default versions": {backend: tls12, status: http.StatusOK},
		"1.2 backend, min 1.3 refused":  {backend: tls12, min: "1.3", status: http.StatusBadGateway},
		"1.3 backend, max 1.2 refused":  {backend: tls13, max: "1.2", status: http.StatusBadGateway},
		"1.3 backend, min 1.3":          {backend: tls13, min: "1.3", max: "1.3", status: http.StatusOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ep := tc.backend.endpoint(t)
			ep.MinTlsVersion, ep.MaxTlsVersion = tc.min, tc.max
			require.Equal(t, tc.status, sendThrough(t, h, ep))
			protos, _ := tc.backend.take()
			require.Equal(t, tc.status == http.StatusOK, len(protos) == 1)
		})
	}
}
