package sync

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
)

// TLSFiles names the PEM files of the proxy's mTLS identity.
type TLSFiles struct {
	// CA verifies the controller's certificate.
	CA string
	// Cert and Key are the proxy's client certificate and private key. They are read again
	// on every handshake, so a rotated certificate is picked up without a restart.
	Cert, Key string
	// ServerName overrides the name verified in the controller's certificate; empty means
	// the host of the controller address.
	ServerName string
}

// ClientCredentials builds mutual-TLS transport credentials from files.
func ClientCredentials(f TLSFiles) (credentials.TransportCredentials, error) {
	if f.CA == "" || f.Cert == "" || f.Key == "" {
		return nil, errors.New("mTLS needs a CA, a certificate and a key file (or run with --insecure)")
	}
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", f.CA)
	}
	if _, err := tls.LoadX509KeyPair(f.Cert, f.Key); err != nil {
		return nil, fmt.Errorf("loading client certificate %s: %w", f.Cert, err)
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    roots,
		ServerName: f.ServerName,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(f.Cert, f.Key)
			if err != nil {
				return nil, fmt.Errorf("loading client certificate %s: %w", f.Cert, err)
			}
			return &c, nil
		},
	}
	return credentials.NewTLS(cfg), nil
}
