package publish

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/claimgate/claimgate/test/tokens"
)

func certConfig(t *testing.T, ns string, extra ...string) CertConfig {
	return CertConfig{
		Client: env.Client, Namespace: ns, ServiceName: "claimgate-controller",
		CASecret: "snapshot-ca", ServerSecret: "snapshot-server", ClientSecret: "snapshot-client",
		ExtraSANs: extra, Logger: testr.New(t),
	}
}

func TestEnsureCertificatesCreatesThenReuses(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	first, err := EnsureCertificates(ctx, certConfig(t, ns))
	require.NoError(t, err)
	for _, name := range []string{"snapshot-ca", "snapshot-server", "snapshot-client"} {
		var s corev1.Secret
		require.NoError(t, env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s))
		require.Equal(t, corev1.SecretTypeTLS, s.Type, name)
		require.Equal(t, first.CA, s.Data[CAKey], "%s carries the CA", name)
	}
	server := tokens.ParseCertificate(t, first.ServerCert)
	require.Contains(t, server.DNSNames, "claimgate-controller."+ns+".svc")
	require.Contains(t, server.DNSNames, "localhost")
	require.Equal(t, "127.0.0.1", server.IPAddresses[0].String())
	require.Equal(t, "ECDSA", server.PublicKeyAlgorithm.String())
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, tokens.ParseCertificate(t, first.ClientCert).ExtKeyUsage)

	again, err := EnsureCertificates(ctx, certConfig(t, ns))
	require.NoError(t, err)
	require.Equal(t, first, again, "a restart reuses the Secrets")

	withSAN, err := EnsureCertificates(ctx, certConfig(t, ns, "controller.example.com"))
	require.NoError(t, err)
	require.Equal(t, first.CA, withSAN.CA, "a new SAN keeps the CA")
	require.Equal(t, first.ClientCert, withSAN.ClientCert, "a new SAN keeps the client certificate proxies mount")
	require.Contains(t, tokens.ParseCertificate(t, withSAN.ServerCert).DNSNames, "controller.example.com")
}

func TestEnsureCertificatesReplacesABrokenCA(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	first, err := EnsureCertificates(ctx, certConfig(t, ns))
	require.NoError(t, err)
	var ca corev1.Secret
	require.NoError(t, env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "snapshot-ca"}, &ca))
	ca.Data[PrivateKeyKey] = []byte("not a key")
	require.NoError(t, env.Client.Update(ctx, &ca))

	second, err := EnsureCertificates(ctx, certConfig(t, ns))
	require.NoError(t, err)
	require.NotEqual(t, first.CA, second.CA)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(second.CA))
	for name, pemCert := range map[string][]byte{"server": second.ServerCert, "client": second.ClientCert} {
		_, err := tokens.ParseCertificate(t, pemCert).Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		require.NoError(t, err, "the %s certificate is reissued by the new CA", name)
	}
}

func TestEnsureCertificatesReplicasRace(t *testing.T) {
	ns := newNamespace(t)
	const replicas = 4
	bundles := make([]*Bundle, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bundles[i], errs[i] = EnsureCertificates(context.Background(), certConfig(t, ns))
		}()
	}
	wg.Wait()
	for i := range replicas {
		require.NoError(t, errs[i])
		require.Equal(t, bundles[0], bundles[i], "replica %d ends with the same certificates", i)
	}
	// The certificates the race settled on serve real mTLS.
	h := startServer(t, bundles[0])
	h.store.Set(gwKey, snapshot(t, gwKey, "http"))
	got, err := recv(t, open(t, h.dial(t, nil), hello(gwKey, "p", "")), 5*time.Second)
	require.NoError(t, err)
	require.NotNil(t, got)
}

func TestWriteFiles(t *testing.T) {
	b := memoryBundle(t)
	dir := filepath.Join(t.TempDir(), "certs")
	require.NoError(t, b.WriteFiles(dir))
	for name, want := range map[string][]byte{CAFile: b.CA, ServerCertFile: b.ServerCert, ServerKeyFile: b.ServerKey, ClientCertFile: b.ClientCert, ClientKeyFile: b.ClientKey} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, want, got, name)
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
}
