package publish

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// keyPair is a PEM certificate and its PEM private key.
type keyPair struct {
	cert, key []byte
}

// authority is a parsed CA that can issue certificates.
type authority struct {
	pair keyPair
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newAuthority creates a self-signed ECDSA P-256 CA valid from now for validity.
func newAuthority(now time.Time, validity time.Duration) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "claimgate snapshot CA", Organization: []string{"claimgate"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	pair, err := encodePair(der, key)
	if err != nil {
		return nil, err
	}
	return parseAuthority(pair)
}

// parseAuthority loads a CA from PEM.
func parseAuthority(pair keyPair) (*authority, error) {
	tc, err := tls.X509KeyPair(pair.cert, pair.key)
	if err != nil {
		return nil, fmt.Errorf("loading the CA key pair: %w", err)
	}
	cert, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parsing the CA certificate: %w", err)
	}
	key, ok := tc.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || !cert.IsCA {
		return nil, errors.New("the CA must be an ECDSA CA certificate")
	}
	return &authority{pair: pair, cert: cert, key: key}, nil
}

// issueURI signs a client certificate whose identity is the URI SAN uri.
func (a *authority) issueURI(cn string, uri *url.URL, now time.Time, validity time.Duration) (keyPair, error) {
	return a.sign(cn, nil, []*url.URL{uri}, x509.ExtKeyUsageClientAuth, now, validity)
}

// issue signs a leaf certificate for cn and the given DNS names and IP addresses.
func (a *authority) issue(cn string, sans []string, usage x509.ExtKeyUsage, now time.Time, validity time.Duration) (keyPair, error) {
	return a.sign(cn, sans, nil, usage, now, validity)
}

func (a *authority) sign(cn string, sans []string, uris []*url.URL, usage x509.ExtKeyUsage, now time.Time, validity time.Duration) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating the key of %s: %w", cn, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"claimgate"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		URIs:         uris,
	}
	for _, san := range sans {
		if ip := net.ParseIP(san); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, san)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return keyPair{}, fmt.Errorf("signing the certificate of %s: %w", cn, err)
	}
	return encodePair(der, key)
}

// verifyLeaf checks that pair is a valid key pair issued by a for usage, covering every
// name in sans and valid for at least minLeft after now.
func (a *authority) verifyLeaf(pair keyPair, sans []string, usage x509.ExtKeyUsage, now time.Time, minLeft time.Duration) error {
	if _, err := tls.X509KeyPair(pair.cert, pair.key); err != nil {
		return fmt.Errorf("loading the key pair: %w", err)
	}
	cert, err := parseLeaf(pair.cert)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AddCert(a.cert)
	opts := x509.VerifyOptions{Roots: roots, CurrentTime: now.Add(minLeft), KeyUsages: []x509.ExtKeyUsage{usage}}
	if _, err := cert.Verify(opts); err != nil {
		return fmt.Errorf("verifying against the CA: %w", err)
	}
	for _, san := range sans {
		if err := cert.VerifyHostname(san); err != nil {
			return fmt.Errorf("certificate does not cover %s: %w", san, err)
		}
	}
	return nil
}

// parseLeaf parses the first certificate of a PEM chain.
func parseLeaf(certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate found")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	return c, nil
}

func encodePair(der []byte, key *ecdsa.PrivateKey) (keyPair, error) {
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return keyPair{}, fmt.Errorf("encoding a private key: %w", err)
	}
	return keyPair{
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}),
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return n
}
