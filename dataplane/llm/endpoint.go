package llm

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Endpoint is a compiled snapshot Endpoint: where to connect and how.
type Endpoint struct {
	// Scheme is "https" when TLS is used, else "http".
	Scheme string
	// Host is the host name or IP address, without port.
	Host string
	// HostPort is host:port as used in the request URL.
	HostPort string
	// ServerName is the TLS server name to send and verify; empty means Host.
	ServerName string
	// roots replaces the system roots when non-nil.
	roots *x509.CertPool
	// tls holds the client TLS settings (client certificate, names, ALPN, versions).
	tls clientTLS
	// poolKey identifies the transport settings this endpoint needs.
	poolKey string
}

// CompileEndpoint validates e and precompiles its TLS settings.
func CompileEndpoint(e *snapshotv1.Endpoint) (Endpoint, error) {
	if e.GetHost() == "" {
		return Endpoint{}, errors.New("endpoint host is empty")
	}
	if e.GetPort() == 0 || e.GetPort() > 65535 {
		return Endpoint{}, fmt.Errorf("endpoint %s: port %d is not in 1-65535", e.GetHost(), e.GetPort())
	}
	out := Endpoint{
		Scheme:   "http",
		Host:     e.GetHost(),
		HostPort: net.JoinHostPort(e.GetHost(), strconv.FormatUint(uint64(e.GetPort()), 10)),
		poolKey:  "plain",
	}
	var err error
	if out.tls, err = compileClientTLS(e); err != nil {
		return Endpoint{}, fmt.Errorf("endpoint %s: %w", e.GetHost(), err)
	}
	if !e.GetTls() {
		return out, nil
	}
	out.Scheme = "https"
	out.ServerName = e.GetSni()
	out.poolKey = tlsPoolKey(e)
	if len(e.GetCaPem()) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(e.GetCaPem()) {
			return Endpoint{}, fmt.Errorf("endpoint %s: ca_pem holds no PEM certificate", e.GetHost())
		}
		out.roots = pool
	}
	return out, nil
}
