// Package stack runs claimgate locally, as processes on this machine: a real etcd and
// kube-apiserver (built into bin/k8s by hack/build-k8s.sh, given certificates, a service
// account key and the CRDs here), the controller and a proxy for the tutorial's Gateway
// (the real binaries, with the certificates the controller made), and the fake
// OpenAI-compatible LLM of cmd/claimgate/demo/fakellm. `claimgate demo` is built on it, and
// so are the end-to-end tests (test/e2e) and the benchmark (test/bench).
package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/fakellm"
)

// The tutorial's Gateway and the namespace the controller keeps its certificates in.
const (
	GatewayNamespace    = "gloo-system"
	GatewayName         = "ai-gateway"
	ControllerNamespace = "claimgate-system"
)

// Config says where the stack keeps its state and which addresses it uses.
type Config struct {
	// Dir holds the kubeconfig, the certificates, the API server's state (apiserver/),
	// the logs and the env file.
	Dir string
	// Bin holds the controller and proxy binaries.
	Bin string
	// FakeLLMAddr is where the fake LLM listens; the samples' Upstream points there.
	FakeLLMAddr string
	// GRPCAddr is where the controller serves snapshots.
	GRPCAddr string
	// ProxyAdminAddr is the proxy's /healthz, /readyz and /metrics address.
	ProxyAdminAddr string
	// ControllerProbeAddr is the controller's /healthz and /readyz address.
	ControllerProbeAddr string
	// ControllerKubeconfig, when set, is the identity the controller runs with;
	// otherwise it uses the administrator's.
	ControllerKubeconfig string
	// RedisAddr, when set, is where the stack runs redis-server (from RedisBin), which
	// the controller hands to proxies for their rate-limit counters.
	RedisAddr, RedisBin string
	// ProxyFlags are added to every proxy's flags (the benchmark turns the access log
	// off, as it does for the proxies it runs standalone).
	ProxyFlags []string
}

// DefaultConfig is the stack `make demo` runs, with its state in dir.
func DefaultConfig(dir, bin string) Config {
	return Config{
		Dir:                 dir,
		Bin:                 bin,
		FakeLLMAddr:         "127.0.0.1:18090",
		GRPCAddr:            "127.0.0.1:18977",
		ProxyAdminAddr:      "127.0.0.1:18901",
		ControllerProbeAddr: "127.0.0.1:18981",
	}
}

// Stack is a running local claimgate.
type Stack struct {
	Config
	Env        *APIServer
	LLM        *fakellm.Backend
	Controller *Process
	Proxy      *Process
	// Fleet are the proxies after the first (StartFleetProxy); Redis the redis-server.
	Fleet []*Process
	Redis *Process

	llmServer *http.Server
}

// Start brings up the API server, the fake LLM and the controller. It does not apply
// any manifest or start a proxy: see ApplySamples and StartProxy.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	s, err := StartAPI(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.StartLocal(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// StartAPI brings up the API server with the CRDs and the stack's namespaces, and writes
// the administrator's kubeconfig.
func StartAPI(ctx context.Context, cfg Config) (*Stack, error) {
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "logs"), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", cfg.Dir, err)
	}
	// The API server's client logs nothing of interest here; the processes log to files.
	ctrllog.SetLogger(logr.Discard())
	s := &Stack{Config: cfg}
	env, err := startAPIServer(ctx, apiServerPaths{
		State:      filepath.Join(cfg.Dir, "apiserver"),
		Logs:       filepath.Join(cfg.Dir, "logs"),
		Kubeconfig: s.Kubeconfig(),
	})
	if err != nil {
		return nil, err
	}
	s.Env = env
	if err := s.createNamespaces(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func (s *Stack) createNamespaces(ctx context.Context) error {
	for _, ns := range []string{ControllerNamespace, GatewayNamespace} {
		err := s.Env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	return nil
}

// StartLocal starts the fake LLM and the controller.
func (s *Stack) StartLocal(ctx context.Context) error {
	if err := s.startLLM(ctx); err != nil {
		return err
	}
	if s.RedisAddr != "" {
		if err := s.StartRedis(ctx); err != nil {
			return err
		}
	}
	return s.StartController(ctx)
}

func (s *Stack) startLLM(ctx context.Context) error {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", s.FakeLLMAddr)
	if err != nil {
		return fmt.Errorf("listening for the fake LLM on %s: %w", s.FakeLLMAddr, err)
	}
	s.LLM = fakellm.NewBackend(fakellm.Config{StreamDelay: 50 * time.Millisecond})
	s.llmServer = &http.Server{Handler: s.LLM, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.llmServer.Serve(ln) }()
	return nil
}

// Kubeconfig is the administrator's kubeconfig, for kubectl.
func (s *Stack) Kubeconfig() string { return filepath.Join(s.Dir, "kubeconfig") }

// CertDir holds the CA and the proxies' client certificate the controller wrote.
func (s *Stack) CertDir() string { return filepath.Join(s.Dir, "certs") }

// StartController starts the controller and waits until it has written the proxies'
// client certificate and reports ready.
func (s *Stack) StartController(ctx context.Context) error {
	kubeconfig := s.Kubeconfig()
	if s.ControllerKubeconfig != "" {
		kubeconfig = s.ControllerKubeconfig
	}
	args := []string{
		"--leader-elect=false",
		"--namespace=" + ControllerNamespace,
		"--grpc-address=" + s.GRPCAddr,
		"--metrics-bind-address=0",
		"--health-probe-bind-address=" + s.ControllerProbeAddr,
		"--cert-dir=" + s.CertDir(),
		"--proxy-service-type=ClusterIP",
		"--proxy-image=ghcr.io/claimgate/proxy:dev",
	}
	if s.RedisAddr != "" {
		args = append(args, "--rate-limit-redis-address="+s.RedisAddr)
	}
	p, err := StartProcess("controller", filepath.Join(s.Bin, "controller"), args,
		[]string{"KUBECONFIG=" + kubeconfig}, filepath.Join(s.Dir, "logs", "controller.log"))
	if err != nil {
		return err
	}
	s.Controller = p
	return waitUntil(ctx, 0, p, "the controller to be ready", func() bool {
		_, err := os.Stat(filepath.Join(s.CertDir(), "client.key"))
		return err == nil && httpOK("http://"+s.ControllerProbeAddr+"/readyz")
	})
}

// StartProxy starts a proxy for the tutorial's Gateway, listening on 127.0.0.1:port.
func (s *Stack) StartProxy(port int) error {
	args := s.proxyArgs("local-proxy", ProxyHost(0), port, s.ProxyAdminAddr)
	p, err := StartProcess("proxy", filepath.Join(s.Bin, "proxy"), args, nil,
		filepath.Join(s.Dir, "logs", "proxy.log"))
	if err != nil {
		return err
	}
	s.Proxy = p
	return nil
}

// ProxyReady reports whether the proxy serves a snapshot.
func (s *Stack) ProxyReady() bool { return httpOK("http://" + s.ProxyAdminAddr + "/readyz") }

// WaitProgrammed waits until the tutorial's Gateway is Programmed: its current snapshot
// was acknowledged by the proxies.
func (s *Stack) WaitProgrammed(ctx context.Context) error {
	last := "no Programmed condition"
	err := waitUntil(ctx, 0, s.Proxy, "Gateway "+GatewayNamespace+"/"+GatewayName+" to be Programmed", func() bool {
		var gw gwv1.Gateway
		key := client.ObjectKey{Namespace: GatewayNamespace, Name: GatewayName}
		if err := s.Env.Client.Get(ctx, key, &gw); err != nil {
			return false
		}
		c := meta.FindStatusCondition(gw.Status.Conditions, string(gwv1.GatewayConditionProgrammed))
		if c != nil {
			last = fmt.Sprintf("Programmed is %s (%s): %s, observed generation %d of %d", c.Status, c.Reason, c.Message, c.ObservedGeneration, gw.Generation)
		}
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == gw.Generation
	})
	if err != nil {
		return fmt.Errorf("%w; %s", err, last)
	}
	return nil
}

// waitUntil polls ok until it holds, ctx ends, timeout passes (when not 0), or p exits.
func waitUntil(ctx context.Context, timeout time.Duration, p *Process, what string, ok func() bool) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok() {
			return nil
		}
		if p != nil {
			if exited, err := p.Exited(); exited {
				return fmt.Errorf("waiting for %s: the %s exited (%w); see %s", what, p.Name, err, p.LogPath)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop stops the proxy, the controller, the fake LLM and the API server and etcd.
func (s *Stack) Stop() error {
	for _, p := range append([]*Process{s.Proxy}, s.Fleet...) {
		if p != nil {
			p.Stop(10 * time.Second)
		}
	}
	if s.Redis != nil {
		s.Redis.Stop(10 * time.Second)
	}
	if s.Controller != nil {
		s.Controller.Stop(10 * time.Second)
	}
	var err error
	if s.llmServer != nil {
		err = s.llmServer.Close()
	}
	return errors.Join(err, s.Env.Stop())
}
