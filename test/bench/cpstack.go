package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

// cp is the control-plane fixture: a local API server, the controller (started here so
// that its metrics endpoint is on), one proxy for the tutorial's Gateway, and a client
// without client-side rate limits.
type cp struct {
	st          *stack.Stack
	controller  *proc
	client      client.Client
	metricsAddr string
	gatewayURL  string
	backendPort int
	pprofAddr   string
}

func startCP(ctx context.Context, dir, bin string, backendPort int, pprofAddr string) (*cp, error) {
	cfg := stack.Config{Dir: dir, Bin: bin}
	if pprofAddr != "" {
		// The proxy serves its profiles on its admin address.
		cfg.ProxyFlags = []string{"--pprof"}
	}
	for _, a := range []*string{&cfg.GRPCAddr, &cfg.ProxyAdminAddr, &cfg.ControllerProbeAddr} {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		*a = "127.0.0.1:" + strconv.Itoa(p)
	}
	st, err := stack.StartAPI(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("starting the API server: %w", err)
	}
	c := &cp{st: st, backendPort: backendPort, pprofAddr: pprofAddr}
	if err := c.start(ctx); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *cp) start(ctx context.Context) error {
	rc := rest.CopyConfig(c.st.Env.Config)
	rc.QPS, rc.Burst = -1, 0
	var err error
	if c.client, err = client.New(rc, client.Options{}); err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	if err := c.startController(ctx); err != nil {
		return err
	}
	gwPort, err := freePort()
	if err != nil {
		return err
	}
	c.gatewayURL = "http://127.0.0.1:" + strconv.Itoa(gwPort)
	if err := c.st.ApplyGatewayClass(); err != nil {
		return fmt.Errorf("applying the GatewayClass: %w", err)
	}
	for _, name := range []string{"00-gateway.yaml", "10-openai-backend.yaml", "20-jwt-provider.yaml", "30-openai-rbac.yaml"} {
		if err := applySample(c.st, name, gwPort, c.backendPort); err != nil {
			return err
		}
	}
	if err := c.st.StartProxy(gwPort); err != nil {
		return fmt.Errorf("starting the proxy: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return c.st.WaitProgrammed(wctx)
}

// startController runs the controller as stack does, with its metrics endpoint on.
func (c *cp) startController(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.metricsAddr = "127.0.0.1:" + strconv.Itoa(port)
	s := c.st
	args := []string{
		"--leader-elect=false", "--namespace=" + stack.ControllerNamespace,
		"--grpc-address=" + s.GRPCAddr, "--metrics-bind-address=" + c.metricsAddr,
		"--health-probe-bind-address=" + s.ControllerProbeAddr, "--cert-dir=" + s.CertDir(),
		"--proxy-service-type=ClusterIP", "--proxy-image=ghcr.io/claimgate/proxy:dev",
	}
	if c.pprofAddr != "" {
		args = append(args, "--pprof-bind-address="+c.pprofAddr)
	}
	p, err := startProcEnv("controller", logPath(filepath.Join(s.Dir, "logs"), "controller"),
		[]string{"KUBECONFIG=" + s.Kubeconfig()}, filepath.Join(s.Bin, "controller"), args...)
	if err != nil {
		return err
	}
	c.controller = p
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if exited(p) {
			return fmt.Errorf("the controller exited; see %s", logPath(filepath.Join(s.Dir, "logs"), "controller"))
		}
		_, keyErr := os.Stat(filepath.Join(s.CertDir(), "client.key"))
		if keyErr == nil && getOK("http://"+s.ControllerProbeAddr+"/readyz") {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the controller did not become ready")
}

// applySample applies one of the tutorial's manifests with this run's ports.
func applySample(st *stack.Stack, name string, gwPort, backendPort int) error {
	raw, err := os.ReadFile(stack.Sample(name))
	if err != nil {
		return fmt.Errorf("reading sample %s: %w", name, err)
	}
	s := strings.ReplaceAll(string(raw), "port: 8080", "port: "+strconv.Itoa(gwPort))
	s = strings.ReplaceAll(s, "port: 18090", "port: "+strconv.Itoa(backendPort))
	return applyManifest(st, name, s)
}

// applyManifest writes a manifest of this run into the stack's folder and applies it.
func applyManifest(st *stack.Stack, name, manifest string) error {
	path := filepath.Join(st.Dir, "applied-"+name)
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if out, err := st.Kubectl("apply", "-f", path); err != nil {
		return fmt.Errorf("applying %s: %w: %s", name, err, out)
	}
	return nil
}

func (c *cp) stop() {
	c.controller.Stop(5 * time.Second)
	_ = c.st.Stop()
}

func clientKey(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}
