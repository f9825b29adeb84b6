package stack

import (
	"crypto/ecdsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/util/keyutil"

	"github.com/claimgate/claimgate/test/tokens"
)

func TestPKI(t *testing.T) {
	p, err := newPKI(filepath.Join(t.TempDir(), "pki"))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(p.caPEM))

	serving := readCert(t, p.servingCertFile())
	for _, name := range []string{"127.0.0.1", "localhost"} {
		_, err := serving.Verify(x509.VerifyOptions{
			DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		require.NoError(t, err, "serving %s", name)
	}
	_, err = serving.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.Error(t, err, "the serving certificate must not authenticate a client")

	certPEM, keyPEM, err := p.issue(clientTemplate("admin", "system:masters"))
	require.NoError(t, err)
	client := tokens.ParseCertificate(t, certPEM)
	_, err = client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	require.Equal(t, "admin", client.Subject.CommonName)
	require.Equal(t, []string{"system:masters"}, client.Subject.Organization)
	_, err = keyutil.ParsePrivateKeyPEM(keyPEM)
	require.NoError(t, err)

	sa, err := keyutil.PrivateKeyFromFile(p.saKeyFile())
	require.NoError(t, err)
	pubs, err := keyutil.PublicKeysFromFile(p.saPubFile())
	require.NoError(t, err)
	require.Len(t, pubs, 1)
	require.IsType(t, &ecdsa.PrivateKey{}, sa)
	require.True(t, sa.(*ecdsa.PrivateKey).PublicKey.Equal(pubs[0]), "sa.pub is the public half of sa.key")

	for _, f := range []string{p.caFile(), p.servingCertFile(), p.servingKeyFile(), p.saKeyFile(), p.saPubFile()} {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return tokens.ParseCertificate(t, b)
}
