package llm

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// clientTLS is an endpoint's TLS settings beyond its server name and roots (Gloo's
// sslConfig): the certificate the proxy presents, the names the endpoint's certificate
// must carry, the protocols offered by ALPN and the versions allowed.
type clientTLS struct {
	cert *tls.Certificate
	// sans, when set, are the names one of which the endpoint's certificate must carry,
	// checked instead of the server name.
	sans []string
	// alpn, when set, are offered in the handshake; h2 says whether "h2" is among them.
	alpn []string
	h2   bool
	// minVersion and maxVersion bound the TLS version; 0 is Go's default for the bound.
	minVersion, maxVersion uint16
}

// tlsVersions are the versions an endpoint may name. Go's client still speaks TLS 1.0
// and 1.1 when asked to (Gloo allows TLSv1_0 and up); without a minimum the proxy
// requires TLS 1.2.
var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

// errTLSOnly is returned when an endpoint without tls carries TLS settings: the proxy
// never sends in the clear what was meant to be sent with a client certificate.
var errTLSOnly = errors.New("client TLS settings are set but tls is not")

// compileClientTLS validates e's client TLS settings. Errors name the field, never a
// key's bytes.
func compileClientTLS(e *snapshotv1.Endpoint) (clientTLS, error) {
	out := clientTLS{
		sans: slices.Clone(e.GetVerifySubjectAltNames()), alpn: slices.Clone(e.GetAlpnProtocols()),
		h2: slices.Contains(e.GetAlpnProtocols(), "h2"), minVersion: tls.VersionTLS12,
	}
	if !e.GetTls() {
		if len(e.GetClientCertificatePem()) > 0 || len(e.GetClientPrivateKeyPem()) > 0 || len(out.sans) > 0 ||
			len(out.alpn) > 0 || e.GetMinTlsVersion() != "" || e.GetMaxTlsVersion() != "" {
			return out, errTLSOnly
		}
		return out, nil
	}
	var err error
	if out.cert, err = clientCertificate(e.GetClientCertificatePem(), e.GetClientPrivateKeyPem()); err != nil {
		return out, err
	}
	if slices.Contains(out.sans, "") {
		return out, errors.New("verify_subject_alt_names holds an empty name")
	}
	for _, p := range out.alpn {
		if p == "" || len(p) > 255 {
			return out, fmt.Errorf("alpn protocol %q is not 1-255 bytes", p)
		}
	}
	if out.minVersion, err = tlsVersion("min_tls_version", e.GetMinTlsVersion(), tls.VersionTLS12); err != nil {
		return out, err
	}
	if out.maxVersion, err = tlsVersion("max_tls_version", e.GetMaxTlsVersion(), 0); err != nil {
		return out, err
	}
	if out.maxVersion != 0 && out.maxVersion < out.minVersion {
		return out, fmt.Errorf("max_tls_version %s is below the minimum version %s",
			tls.VersionName(out.maxVersion), tls.VersionName(out.minVersion))
	}
	return out, nil
}

// clientCertificate parses the certificate the proxy presents. Neither the key nor the
// parser's error about it is ever part of the error: only which field is wrong.
func clientCertificate(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	switch {
	case len(certPEM) == 0 && len(keyPEM) == 0:
		return nil, nil
	case len(certPEM) == 0:
		return nil, errors.New("client_private_key_pem is set without client_certificate_pem")
	case len(keyPEM) == 0:
		return nil, errors.New("client_certificate_pem is set without client_private_key_pem")
	}
	if block, _ := pem.Decode(certPEM); block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("client_certificate_pem holds no PEM certificate")
	} else if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("client_certificate_pem: %w", err)
	}
	if block, _ := pem.Decode(keyPEM); block == nil {
		return nil, errors.New("client_private_key_pem holds no PEM block")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, errors.New("client_private_key_pem is not a private key matching client_certificate_pem")
	}
	return &cert, nil
}

// tlsVersion reads a version name; empty gives def.
func tlsVersion(field, name string, def uint16) (uint16, error) {
	if name == "" {
		return def, nil
	}
	v, ok := tlsVersions[name]
	if !ok {
		return 0, fmt.Errorf("%s %q is not one of 1.0, 1.1, 1.2, 1.3", field, name)
	}
	return v, nil
}

// tlsPoolKey identifies every TLS setting of an endpoint, so endpoints share a transport
// only when they would configure it alike. The key material enters only as a digest.
func tlsPoolKey(e *snapshotv1.Endpoint) string {
	h := sha256.New()
	field := func(b []byte) {
		_ = binary.Write(h, binary.BigEndian, uint64(len(b)))
		_, _ = h.Write(b)
	}
	list := func(ss []string) {
		_ = binary.Write(h, binary.BigEndian, uint64(len(ss)))
		for _, s := range ss {
			field([]byte(s))
		}
	}
	field([]byte(e.GetSni()))
	field(e.GetCaPem())
	field(e.GetClientCertificatePem())
	field(e.GetClientPrivateKeyPem())
	list(e.GetVerifySubjectAltNames())
	list(e.GetAlpnProtocols())
	field([]byte(e.GetMinTlsVersion()))
	field([]byte(e.GetMaxTlsVersion()))
	return "tls|" + hex.EncodeToString(h.Sum(nil))
}

// tlsConfig is the client TLS configuration that reaches e.
func (e *Endpoint) tlsConfig() *tls.Config {
	cfg := &tls.Config{
		MinVersion: e.tls.minVersion,
		MaxVersion: e.tls.maxVersion,
		ServerName: e.ServerName,
		RootCAs:    e.roots,
		NextProtos: slices.Clone(e.tls.alpn),
	}
	if e.tls.cert != nil {
		cfg.Certificates = []tls.Certificate{*e.tls.cert}
	}
	if len(e.tls.sans) > 0 {
		// The chain is verified by VerifyConnection, which then checks the names
		// instead of the server name, as Envoy's verify_subject_alt_name does.
		cfg.InsecureSkipVerify = true //nolint:gosec // verified in VerifyConnection
		roots, sans := e.roots, e.tls.sans
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifySubjectAltNames(cs, roots, sans) }
	}
	return cfg
}

// verifySubjectAltNames verifies the peer's chain against roots (the system roots when
// nil) and requires its leaf to carry one of names.
func verifySubjectAltNames(cs tls.ConnectionState, roots *x509.CertPool, names []string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the endpoint presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("verifying the endpoint's certificate: %w", err)
	}
	for _, n := range names {
		if certHasName(leaf, n) {
			return nil
		}
	}
	return fmt.Errorf("the endpoint's certificate carries none of the subject alt names %s", strings.Join(names, ", "))
}

// certHasName reports whether one of c's subject alternative names is name: a DNS name
// compared case-insensitively (a "*." wildcard in the certificate covers one label), an
// IP address, a URI or an email address compared exactly.
func certHasName(c *x509.Certificate, name string) bool {
	for _, d := range c.DNSNames {
		if strings.EqualFold(d, name) {
			return true
		}
		if suffix, ok := strings.CutPrefix(d, "*."); ok {
			if label, rest, ok := strings.Cut(name, "."); ok && label != "" && strings.EqualFold(rest, suffix) {
				return true
			}
		}
	}
	if ip := net.ParseIP(name); ip != nil {
		for _, a := range c.IPAddresses {
			if a.Equal(ip) {
				return true
			}
		}
	}
	return slices.ContainsFunc(c.URIs, func(u *url.URL) bool { return u.String() == name }) ||
		slices.Contains(c.EmailAddresses, name)
}
