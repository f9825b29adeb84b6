// Package testenv starts the real Kubernetes API the tests talk to: kube-apiserver and
// etcd built from their Go modules by hack/build-k8s.sh (under bin/k8s/), reached through
// controller-runtime's envtest, with the Gateway API CRDs (from the gateway-api module)
// and claimgate's CRDs (from config/crd) installed.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/checkout"
	"github.com/claimgate/claimgate/controllers/scheme"
)

// Env is a running API server with the CRDs installed.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a controller-runtime client with every kind claimgate uses registered.
	Client client.Client
	// Kubeconfig is the path of an administrator kubeconfig file, for kubectl and helm.
	Kubeconfig string

	env *envtest.Environment
	dir string
}

// ModuleRoot returns the repository's root folder.
func ModuleRoot() string { return checkout.Root() }

// Assets returns the folder holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS when
// set, else bin/k8s/<version> under the module root.
func Assets() string { return checkout.K8sBinaries() }

// GatewayAPICRDDir returns the gateway-api module's standard-channel CRD folder.
func GatewayAPICRDDir() (string, error) { return checkout.GatewayAPICRDDir(context.Background()) }

// Start starts etcd and kube-apiserver and installs the CRDs. Call Stop when done.
func Start() (*Env, error) {
	assets := Assets()
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		return nil, fmt.Errorf("kube-apiserver not found in %s (run `make k8s`): %w", assets, err)
	}
	gwCRDs, err := GatewayAPICRDDir()
	if err != nil {
		return nil, err
	}
	e := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{gwCRDs, filepath.Join(ModuleRoot(), "config", "crd")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme.New(),
	}
	cfg, err := e.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the test API server: %w", err)
	}
	env := &Env{Config: cfg, env: e}
	if err := env.init(); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return env, nil
}

func (e *Env) init() error {
	c, err := client.New(e.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	e.Client = c
	e.dir, err = os.MkdirTemp("", "claimgate-testenv-")
	if err != nil {
		return fmt.Errorf("creating a folder for the kubeconfig: %w", err)
	}
	user, err := e.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("creating the admin user: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing the admin kubeconfig: %w", err)
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kc, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", e.Kubeconfig, err)
	}
	return nil
}

// AddUser returns a rest.Config that authenticates as the given user and groups, for
// tests that check what an identity may do.
func (e *Env) AddUser(name string, groups ...string) (*rest.Config, error) {
	u, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, fmt.Errorf("adding user %s: %w", name, err)
	}
	return u.Config(), nil
}

// Kubectl runs the real kubectl against the API server and returns its combined output.
func (e *Env) Kubectl(args ...string) (string, error) {
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// GVK is a shorthand for building GroupVersionKinds in tests.
func GVK(group, version, kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: group, Version: version, Kind: kind}
}

// Stop stops the API server and etcd and removes the kubeconfig.
func (e *Env) Stop() error {
	err := e.env.Stop()
	if e.dir != "" {
		err = errors.Join(err, os.RemoveAll(e.dir))
	}
	return err
}

// Main is a TestMain body for a package whose tests share one API server: it starts
// the server into *env, runs the tests, stops the server and exits with the tests' code.
func Main(m *testing.M, env **Env) {
	e, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*env = e
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the test API server:", err)
	}
	os.Exit(code)
}

// Namespace creates a namespace with a fresh name for one test: namespaces never finish
// deleting without kube-controller-manager, so tests do not share or reuse them.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := e.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns.Name
}
