package publish

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ServerTLS is the controller's side of the snapshot channel: it presents the server
// certificate and requires a client certificate issued by the CA.
func (b *Bundle) ServerTLS() (*tls.Config, error) {
	cfg, pool, err := b.baseTLS(b.ServerCert, b.ServerKey, "server")
	if err != nil {
		return nil, err
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}

// ClientTLS is a proxy's side of the snapshot channel, verifying the controller as
// serverName (for local processes and tests; proxies read the mounted files).
func (b *Bundle) ClientTLS(serverName string) (*tls.Config, error) {
	cfg, pool, err := b.baseTLS(b.ClientCert, b.ClientKey, "client")
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = pool
	cfg.ServerName = serverName
	return cfg, nil
}

// baseTLS presents the given certificate and returns the CA pool to verify the peer with.
func (b *Bundle) baseTLS(cert, key []byte, which string) (*tls.Config, *x509.CertPool, error) {
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the %s certificate: %w", which, err)
	}
	pool, err := b.pool()
	if err != nil {
		return nil, nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}, pool, nil
}

// Files written by WriteFiles.
const (
	CAFile         = "ca.crt"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
	ClientCertFile = "client.crt"
	ClientKeyFile  = "client.key"
)

// WriteFiles writes the bundle into dir (created if missing), private keys readable by
// the owner only, so local processes (a proxy run by hand) can use them.
func (b *Bundle) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating certificate folder %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{CAFile, b.CA},
		{ServerCertFile, b.ServerCert},
		{ServerKeyFile, b.ServerKey},
		{ClientCertFile, b.ClientCert},
		{ClientKeyFile, b.ClientKey},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, f.name), err)
		}
	}
	return nil
}

func (b *Bundle) pool() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.CA) {
		return nil, errors.New("the CA bundle holds no PEM certificate")
	}
	return pool, nil
}
