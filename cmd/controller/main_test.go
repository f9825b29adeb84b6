package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/claimgate/claimgate/controllers/publish"
	"github.com/claimgate/claimgate/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env) }

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRun starts the controller as main does (leader election on, mTLS, certificate
// files) and checks what an operator sees: the Lease, the certificate Secrets and files,
// the probes and the metrics.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "claimgate-system"}}
	require.NoError(t, env.Client.Create(ctx, ns))
	certDir := filepath.Join(t.TempDir(), "certs")
	f := flags{
		metricsAddr: freeAddr(t), probeAddr: freeAddr(t), grpcAddr: freeAddr(t),
		leaderElect: true, namespace: ns.Name, serviceName: "claimgate-controller",
		caSecret: "claimgate-snapshot-ca", serverSecret: "claimgate-snapshot-server", clientSecret: "claimgate-snapshot-client",
		extraSANs: "controller.example.com", certDir: certDir,
		proxyImage: "claimgate/proxy:test", several: true, proxyServiceType: "ClusterIP",
		proxyCPU: "100m", proxyMemory: "64Mi",
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, env.Config, f, testr.New(t)) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	require.Eventually(t, func() bool {
		var lease coordinationv1.Lease
		err := env.Client.Get(ctx, types.NamespacedName{Namespace: ns.Name, Name: "claimgate-controller"}, &lease)
		return err == nil && lease.Spec.HolderIdentity != nil
	}, 30*time.Second, 100*time.Millisecond, "the controller takes the leader Lease")
	for _, name := range []string{"claimgate-snapshot-ca", "claimgate-snapshot-server", "claimgate-snapshot-client"} {
		var s corev1.Secret
		require.NoError(t, env.Client.Get(ctx, types.NamespacedName{Namespace: ns.Name, Name: name}, &s), name)
	}
	for _, file := range []string{publish.CAFile, publish.ClientCertFile, publish.ClientKeyFile, publish.ServerCertFile, publish.ServerKeyFile} {
		require.FileExists(t, filepath.Join(certDir, file))
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		require.Eventually(t, func() bool { code, _ := get("http://" + f.probeAddr + path); return code == http.StatusOK },
			30*time.Second, 100*time.Millisecond, path)
	}
	require.Eventually(t, func() bool {
		conn, err := net.Dial("tcp", f.grpcAddr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "the leader serves snapshots")
	var body string
	require.Eventually(t, func() bool {
		_, body = get("http://" + f.metricsAddr + "/metrics")
		return strings.Contains(body, "claimgate_reconcile_total")
	}, 30*time.Second, 100*time.Millisecond, "the first reconciliation is counted")
	for _, metric := range []string{"claimgate_reconcile_duration_seconds", "claimgate_compile_duration_seconds"} {
		require.Contains(t, body, metric)
	}
}

func TestProxyConfig(t *testing.T) {
	tests := map[string]struct {
		f        flags
		wantAddr string
		wantErr  string
	}{
		"default controller address": {
			f:        flags{grpcAddr: ":9977", serviceName: "claimgate-controller", namespace: "claimgate-system", proxyCPU: "100m"},
			wantAddr: "claimgate-controller.claimgate-system.svc:9977",
		},
		"explicit controller address": {
			f:        flags{grpcAddr: ":9977", proxyController: "10.0.0.1:1234"},
			wantAddr: "10.0.0.1:1234",
		},
		"bad quantity": {
			f:       flags{grpcAddr: ":9977", proxyMemory: "lots"},
			wantErr: `parsing proxy memory "lots"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := proxyConfig(tc.f, nil)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantAddr, got.ControllerAddress)
			require.Equal(t, corev1.ServiceType(tc.f.proxyServiceType), got.ServiceType)
		})
	}
}
