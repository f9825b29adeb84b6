// Command controller is claimgate's control plane: it compiles Gateway API objects and
// Gloo-compatible policies into one snapshot per Gateway, streams them to the proxies
// over gRPC with mutual TLS, provisions each Gateway's proxy Deployment and Service, and
// reports what it did in the objects' statuses.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2/textlogger"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/claimgate/claimgate/cmd/internal/memlimit"
	"github.com/claimgate/claimgate/controllers"
	"github.com/claimgate/claimgate/controllers/publish"
	"github.com/claimgate/claimgate/controllers/scheme"
)

type flags struct {
	metricsAddr, probeAddr, grpcAddr     string
	pprofAddr                            string
	leaderElect, grpcInsecure            bool
	leaderElectionNamespace              string
	namespace, serviceName               string
	caSecret, serverSecret, clientSecret string
	extraSANs, certDir                   string
	proxyImage, proxyPullPolicy          string
	proxyServiceType, proxyController    string
	proxyCPU, proxyMemory, proxyMemLimit string
	minCompileInterval                   time.Duration
	store                                storeFlags
	// several is set by tests that run more than one controller in one process.
	several bool
}

func parseFlags() flags {
	var f flags
	inCluster := os.Getenv("KUBERNETES_SERVICE_HOST") != ""
	flag.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address of the metrics endpoint (0 disables it)")
	flag.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	flag.StringVar(&f.pprofAddr, "pprof-bind-address", "", "address of Go's /debug/pprof profiles (empty: off)")
	flag.BoolVar(&f.leaderElect, "leader-elect", inCluster, "elect a leader among replicas (default on in a cluster; --leader-elect=false for local runs)")
	flag.StringVar(&f.leaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader-election Lease (default: --namespace)")
	flag.StringVar(&f.grpcAddr, "grpc-address", ":9977", "address of the SnapshotService proxies connect to")
	flag.BoolVar(&f.grpcInsecure, "grpc-insecure", false, "serve snapshots in plaintext without client certificates (development only)")
	flag.StringVar(&f.namespace, "namespace", defaultNamespace(), "the controller's namespace, where its certificate Secrets live")
	flag.StringVar(&f.serviceName, "service-name", "claimgate-controller", "the controller's Service, named in its server certificate")
	flag.StringVar(&f.caSecret, "ca-secret", "claimgate-snapshot-ca", "Secret holding the snapshot channel's CA")
	flag.StringVar(&f.serverSecret, "server-secret", "claimgate-snapshot-server", "Secret holding the controller's server certificate")
	flag.StringVar(&f.clientSecret, "client-secret", "claimgate-snapshot-client", "Secret holding the proxies' client certificate")
	flag.StringVar(&f.extraSANs, "extra-sans", "", "comma-separated extra DNS names or IPs for the server certificate")
	flag.StringVar(&f.certDir, "cert-dir", "", "when set, also write the CA, server and client certificates there (for local processes)")
	flag.StringVar(&f.proxyImage, "proxy-image", "ghcr.io/claimgate/proxy:latest", "container image of provisioned proxies")
	flag.StringVar(&f.proxyPullPolicy, "proxy-image-pull-policy", "", "pull policy of the proxy image (Always, IfNotPresent, Never)")
	flag.StringVar(&f.proxyServiceType, "proxy-service-type", string(corev1.ServiceTypeLoadBalancer), "type of each Gateway's Service (LoadBalancer, NodePort, ClusterIP)")
	flag.StringVar(&f.proxyController, "proxy-controller-address", "", "address proxies dial for snapshots (default <service-name>.<namespace>.svc:<grpc port>)")
	flag.StringVar(&f.proxyCPU, "proxy-cpu-request", "100m", "CPU request of each proxy")
	flag.StringVar(&f.proxyMemory, "proxy-memory-request", "128Mi", "memory request of each proxy")
	flag.StringVar(&f.proxyMemLimit, "proxy-memory-limit", "512Mi", "memory limit of each proxy (empty: none)")
	flag.DurationVar(&f.minCompileInterval, "min-compile-interval", 100*time.Millisecond,
		"least time between the starts of two compiles: a burst of changes is compiled at most this often, a change after a quiet spell at once (0: every time)")
	logCfg := textlogger.NewConfig()
	f.store.register(flag.CommandLine)
	logCfg.AddFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(textlogger.NewLogger(logCfg))
	return f
}

// defaultNamespace is the pod's namespace in a cluster, else claimgate-system.
func defaultNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		return strings.TrimSpace(string(b))
	}
	return "claimgate-system"
}

func main() {
	f := parseFlags()
	log := ctrl.Log.WithName("controller")
	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "loading the kubeconfig")
		os.Exit(1)
	}
	if err := run(ctrl.SetupSignalHandler(), cfg, f, log); err != nil {
		log.Error(err, "controller stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg *rest.Config, f flags, log logr.Logger) error {
	memlimit.Apply(log)
	bundle, err := bootstrapCertificates(ctx, cfg, f, log)
	if err != nil {
		return err
	}
	mgr, err := newManager(cfg, f)
	if err != nil {
		return err
	}
	trigger := controllers.NewTrigger()
	store, tracker := publish.NewStore(), publish.NewTracker(clock.RealClock{}, trigger.Notify)
	server, err := newServer(f, bundle, store, tracker, log)
	if err != nil {
		return err
	}
	if err := mgr.Add(server); err != nil {
		return fmt.Errorf("adding the snapshot server: %w", err)
	}
	issuer, err := publish.NewProxyIssuer(bundle, clock.RealClock{}, 0)
	if err != nil {
		return err
	}
	proxy, err := proxyConfig(f, issuer)
	if err != nil {
		return err
	}
	rlStore, err := f.store.store()
	if err != nil {
		return err
	}
	rec, err := controllers.New(controllers.Config{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(),
		Store: store, Tracker: tracker, Trigger: trigger, Proxy: proxy,
		Clock: clock.RealClock{}, Logger: ctrl.Log.WithName("reconciler"), RateLimitStore: rlStore,
		MinCompileInterval: f.minCompileInterval,
	})
	if err != nil {
		return fmt.Errorf("creating the reconciler: %w", err)
	}
	if err := rec.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the reconciler: %w", err)
	}
	log.Info("starting", "namespace", f.namespace, "leaderElection", f.leaderElect, "grpc", f.grpcAddr)
	return mgr.Start(ctx)
}

func newManager(cfg *rest.Config, f flags) (ctrl.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.New(),
		Metrics:                       metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress:        f.probeAddr,
		PprofBindAddress:              f.pprofAddr,
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              "claimgate-controller",
		LeaderElectionNamespace:       firstNonEmpty(f.leaderElectionNamespace, f.namespace),
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(),
		Client:                        controllers.ClientOptions(),
		Controller:                    ctrlconfig.Controller{SkipNameValidation: &f.several},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	return mgr, nil
}

func bootstrapCertificates(ctx context.Context, cfg *rest.Config, f flags, log logr.Logger) (*publish.Bundle, error) {
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, fmt.Errorf("creating a client for the certificate bootstrap: %w", err)
	}
	bundle, err := publish.EnsureCertificates(ctx, publish.CertConfig{
		Client: c, Namespace: f.namespace, ServiceName: f.serviceName,
		CASecret: f.caSecret, ServerSecret: f.serverSecret, ClientSecret: f.clientSecret,
		ExtraSANs: splitList(f.extraSANs), Logger: log.WithName("certificates"),
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrapping the snapshot channel's certificates in namespace %s: %w", f.namespace, err)
	}
	if f.certDir != "" {
		if err := bundle.WriteFiles(f.certDir); err != nil {
			return nil, err
		}
		log.Info("wrote certificates", "dir", f.certDir)
	}
	return bundle, nil
}

func newServer(f flags, bundle *publish.Bundle, store *publish.Store, tracker *publish.Tracker, log logr.Logger) (*publish.Server, error) {
	cfg := publish.Config{Address: f.grpcAddr, Insecure: f.grpcInsecure, Store: store, Tracker: tracker, Logger: log.WithName("snapshots")}
	if !f.grpcInsecure {
		tlsCfg, err := bundle.ServerTLS()
		if err != nil {
			return nil, err
		}
		cfg.TLS = tlsCfg
	}
	s, err := publish.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the snapshot server: %w", err)
	}
	return s, nil
}

func proxyConfig(f flags, issuer controllers.ProxyIssuer) (controllers.ProxyConfig, error) {
	res := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for _, q := range []struct {
		list  corev1.ResourceList
		name  corev1.ResourceName
		value string
	}{
		{res.Requests, corev1.ResourceCPU, f.proxyCPU},
		{res.Requests, corev1.ResourceMemory, f.proxyMemory},
		{res.Limits, corev1.ResourceMemory, f.proxyMemLimit},
	} {
		if q.value == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.value)
		if err != nil {
			return controllers.ProxyConfig{}, fmt.Errorf("parsing proxy %s %q: %w", q.name, q.value, err)
		}
		q.list[q.name] = v
	}
	addr := f.proxyController
	if addr == "" {
		_, port, _ := strings.Cut(f.grpcAddr, ":")
		addr = fmt.Sprintf("%s.%s.svc:%s", f.serviceName, f.namespace, port)
	}
	return controllers.ProxyConfig{
		Image: f.proxyImage, ImagePullPolicy: corev1.PullPolicy(f.proxyPullPolicy),
		ServiceType: corev1.ServiceType(f.proxyServiceType), ControllerAddress: addr, Resources: res,
		Issuer: issuer,
	}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
