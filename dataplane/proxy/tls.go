package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// certSet serves an HTTPS port's certificates by SNI; the first one is the default.
type certSet struct {
	byName map[string]*tls.Certificate // exact names and "*.suffix" wildcards
	first  *tls.Certificate
}

func (p *portTable) addCertificates(certs []*snapshotv1.Certificate) error {
	if len(certs) == 0 && p.certs == nil {
		return errors.New("HTTPS listener has no certificate")
	}
	if p.certs == nil {
		p.certs = &certSet{byName: map[string]*tls.Certificate{}}
	}
	for i, c := range certs {
		pair, err := tls.X509KeyPair(c.GetCertificatePem(), c.GetPrivateKeyPem())
		if err != nil {
			// The error of X509KeyPair never holds key material.
			return fmt.Errorf("certificate %d: %w", i, err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return fmt.Errorf("certificate %d: %w", i, err)
		}
		pair.Leaf = leaf
		if p.certs.first == nil {
			p.certs.first = &pair
		}
		names := leaf.DNSNames
		if len(names) == 0 && leaf.Subject.CommonName != "" {
			names = []string{leaf.Subject.CommonName}
		}
		for _, n := range names {
			n = strings.ToLower(n)
			if _, taken := p.certs.byName[n]; !taken {
				p.certs.byName[n] = &pair
			}
		}
	}
	return nil
}

// get picks the certificate for a TLS ClientHello's server name.
func (c *certSet) get(serverName string) *tls.Certificate {
	name := strings.ToLower(serverName)
	if cert, ok := c.byName[name]; ok {
		return cert
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if cert, ok := c.byName["*"+name[i:]]; ok {
			return cert
		}
	}
	return c.first
}

// tlsConfig serves port's certificates from whatever table is current at handshake time,
// so a certificate change needs no new listener.
func (srv *Server) tlsConfig(port uint32) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			t := srv.table.Load()
			if t == nil {
				return nil, errors.New("no configuration yet")
			}
			pt, ok := t.ports[port]
			if !ok || pt.certs == nil {
				return nil, fmt.Errorf("port %d serves no TLS", port)
			}
			return pt.certs.get(hello.ServerName), nil
		},
	}
}
