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
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// selfSigned returns a certificate for name with its key, both PEM.
func selfSigned(t *testing.T, name string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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

// TestHTTPSServesCertificatesBySNIWithHTTP2 covers an HTTPS listener: the certificate is
// chosen by SNI (the first one by default), HTTP/2 is negotiated by ALPN, and the 401
// realm says https.
func TestHTTPSServesCertificatesBySNIWithHTTP2(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	aCert, aKey, aX509 := selfSigned(t, "a.example.com")
	bCert, bKey, bX509 := selfSigned(t, "b.example.com")
	s := tutorial(t, h.port, h.fake.HostPort(), true, true)
	s.Listeners[0].Protocol = snapshotv1.Protocol_HTTPS
	s.Listeners[0].Tls = &snapshotv1.ListenerTLS{Certificates: []*snapshotv1.Certificate{
		{CertificatePem: aCert, PrivateKeyPem: aKey}, {CertificatePem: bCert, PrivateKeyPem: bKey},
	}}
	h.apply(s, true)

	roots := x509.NewCertPool()
	roots.AddCert(aX509)
	roots.AddCert(bX509)
	tests := map[string]struct {
		serverName string
		want       string
	}{
		"first":   {serverName: "a.example.com", want: "a.example.com"},
		"second":  {serverName: "b.example.com", want: "b.example.com"},
		"default": {serverName: "", want: "a.example.com"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var served string
			tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{
				RootCAs: roots, ServerName: tc.serverName, InsecureSkipVerify: tc.serverName == "",
				VerifyConnection: func(cs tls.ConnectionState) error {
					served = cs.PeerCertificates[0].Subject.CommonName
					return nil
				},
			}}
			defer tr.CloseIdleConnections()
			req, err := http.NewRequest(http.MethodPost, "https://127.0.0.1:"+itoa(h.port)+"/openai", strings.NewReader("{}"))
			require.NoError(t, err)
			req.Host = "gw.example.com"
			resp, err := (&http.Client{Transport: tr}).Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.want, served)
			require.Equal(t, 2, resp.ProtoMajor)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			require.Equal(t, `Bearer realm="https://gw.example.com/openai"`, resp.Header.Get("Www-Authenticate"))
		})
	}
}
