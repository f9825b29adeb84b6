package controllers_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/controllers"
	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
	"github.com/claimgate/claimgate/controllers/scheme"
	"github.com/claimgate/claimgate/test/testenv"
	"github.com/claimgate/claimgate/test/tokens"
)

// The suite runs one API server, one manager with the reconciler and one snapshot server
// on loopback, as cmd/controller wires them.
var (
	env       *testenv.Env
	store     *publish.Store
	grpcAddr  string
	controlNS = "claimgate-system"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, err := startController(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}

// quietLogger logs errors only, to keep test output readable.
func quietLogger() logr.Logger {
	return funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: -1})
}

func startController(ctx context.Context) (<-chan error, error) {
	c := env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlNS}}); err != nil {
		return nil, err
	}
	if err := c.Create(ctx, &gwv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: "claimgate"},
		Spec:       gwv1.GatewayClassSpec{ControllerName: compile.ControllerName},
	}); err != nil {
		return nil, err
	}
	bundle, err := publish.EnsureCertificates(ctx, publish.CertConfig{
		Client: c, Namespace: controlNS, ServiceName: "claimgate-controller",
		CASecret: "claimgate-snapshot-ca", ServerSecret: "claimgate-snapshot-server", ClientSecret: "claimgate-snapshot-client",
	})
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme: scheme.New(), Metrics: metricsserver.Options{BindAddress: "0"},
		Cache: controllers.CacheOptions(), Client: controllers.ClientOptions(), Logger: quietLogger(),
	})
	if err != nil {
		return nil, err
	}
	trigger := controllers.NewTrigger()
	store = publish.NewStore()
	tracker := publish.NewTracker(clock.RealClock{}, trigger.Notify)
	serverTLS, err := bundle.ServerTLS()
	if err != nil {
		return nil, err
	}
	srv, err := publish.New(publish.Config{Address: "127.0.0.1:0", TLS: serverTLS, Store: store, Tracker: tracker, Logger: quietLogger()})
	if err != nil {
		return nil, err
	}
	grpcAddr = srv.Addr().String()
	if err := mgr.Add(srv); err != nil {
		return nil, err
	}
	issuer, err := publish.NewProxyIssuer(bundle, clock.RealClock{}, 0)
	if err != nil {
		return nil, err
	}
	rec, err := controllers.New(controllers.Config{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
		Store: store, Tracker: tracker, Trigger: trigger, Logger: quietLogger(),
		// As the controller's default spaces them, so that every test runs with it.
		MinCompileInterval: 100 * time.Millisecond,
		Proxy: controllers.ProxyConfig{
			Image: "claimgate/proxy:test", ControllerAddress: "claimgate-controller.claimgate-system.svc:9977",
			Issuer: issuer,
		},
	})
	if err != nil {
		return nil, err
	}
	if err := rec.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return done, nil
}

func newNamespace(t *testing.T) string { return env.Namespace(t) }

// applyTutorial applies the tutorial's manifests (files named by prefix, e.g. "00", "10")
// with kubectl, moved from gloo-system into ns.
func applyTutorial(t *testing.T, ns string, files ...string) {
	t.Helper()
	dir := filepath.Join(tokens.SeedDir(), "manifests")
	for _, prefix := range files {
		matches, err := filepath.Glob(filepath.Join(dir, prefix+"-*.yaml"))
		require.NoError(t, err)
		require.Len(t, matches, 1, "manifest %s-*.yaml", prefix)
		applyYAML(t, ns, readFile(t, matches[0]))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// applyYAML runs kubectl apply on doc with gloo-system replaced by ns.
func applyYAML(t *testing.T, ns, doc string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "manifest.yaml")
	require.NoError(t, os.WriteFile(f, []byte(strings.ReplaceAll(doc, "gloo-system", ns)), 0o600))
	out, err := env.Kubectl("apply", "-f", f)
	require.NoError(t, err, out)
}

// proxyClient dials the snapshot server the way a provisioned proxy of gw does: mTLS
// with the certificate Secret the controller made in gw's namespace.
func proxyClient(t *testing.T, gw types.NamespacedName) snapshotv1.SnapshotServiceClient {
	t.Helper()
	var s corev1.Secret
	key := types.NamespacedName{Namespace: gw.Namespace, Name: "claimgate-" + gw.Name + "-tls"}
	require.Eventually(t, func() bool { return env.Client.Get(context.Background(), key, &s) == nil }, wait, 50*time.Millisecond, "Secret %s", key)
	require.Equal(t, corev1.SecretTypeTLS, s.Type)
	pair, err := tls.X509KeyPair(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(s.Data["ca.crt"]))
	creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}, RootCAs: roots, ServerName: "localhost"})
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(creds))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return snapshotv1.NewSnapshotServiceClient(conn)
}

// proxy is one test proxy's stream; a goroutine receives into snaps.
type proxy struct {
	st    snapshotv1.SnapshotService_StreamClient
	snaps chan *snapshotv1.Snapshot
	errs  chan error
}

// proxyStream opens a stream for gw as instance, with gw's proxy certificate.
func proxyStream(t *testing.T, gw types.NamespacedName, instance string) *proxy {
	t.Helper()
	return proxyStreamAs(t, gw, gw, instance)
}

// proxyStreamAs opens a stream for gw with the proxy certificate of identity.
func proxyStreamAs(t *testing.T, identity, gw types.NamespacedName, instance string) *proxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := proxyClient(t, identity).Stream(ctx)
	require.NoError(t, err)
	require.NoError(t, st.Send(&snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Hello{Hello: &snapshotv1.Hello{
		GatewayNamespace: gw.Namespace, GatewayName: gw.Name, Instance: instance,
	}}}))
	p := &proxy{st: st, snaps: make(chan *snapshotv1.Snapshot, 16), errs: make(chan error, 1)}
	go func() {
		for {
			r, err := st.Recv()
			if err != nil {
				p.errs <- err
				return
			}
			p.snaps <- r.GetSnapshot()
		}
	}()
	return p
}

// err waits for the stream to fail.
func (p *proxy) err(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.errs:
		return err
	case s := <-p.snaps:
		require.Failf(t, "unexpected snapshot", "version %s", s.GetVersion())
	case <-time.After(wait):
		require.Fail(t, "the stream did not fail")
	}
	return nil
}

// next waits for the next snapshot; nil when none came within wait.
func (p *proxy) next(t *testing.T, wait time.Duration) *snapshotv1.Snapshot {
	t.Helper()
	select {
	case s := <-p.snaps:
		return s
	case err := <-p.errs:
		require.NoError(t, err)
	case <-time.After(wait):
	}
	return nil
}

func (p *proxy) ack(t *testing.T, v string) {
	t.Helper()
	require.NoError(t, p.st.Send(&snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Ack{Ack: &snapshotv1.Ack{Version: v}}}))
}

func (p *proxy) nack(t *testing.T, v, msg string) {
	t.Helper()
	require.NoError(t, p.st.Send(&snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Nack{Nack: &snapshotv1.Nack{Version: v, Error: msg}}}))
}
