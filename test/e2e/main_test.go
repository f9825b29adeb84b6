// Package e2e runs claimgate end to end on this machine: the real controller and proxy
// binaries as processes, the real kubectl, a real kube-apiserver, and a fake LLM. The
// controller runs with the identity and RBAC of the Helm chart's ServiceAccount, so a rule
// missing from the chart fails these tests.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
	"github.com/claimgate/claimgate/test/testenv"
)

var (
	st          *stack.Stack
	gatewayPort int
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "claimgate-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bin")
	if err := buildBinaries(bin); err != nil {
		return 0, err
	}
	// The proxies share their rate-limit counters through a real redis-server.
	cfg := stack.Config{Dir: dir, Bin: bin, RedisBin: filepath.Join(testenv.ModuleRoot(), "bin", "redis")}
	for _, addr := range []*string{&cfg.FakeLLMAddr, &cfg.GRPCAddr, &cfg.ProxyAdminAddr, &cfg.ControllerProbeAddr, &cfg.RedisAddr} {
		*addr = "127.0.0.1:" + strconv.Itoa(freePort())
	}
	gatewayPort = freePort()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err = startWithChartIdentity(ctx, cfg)
	if err != nil {
		return 0, err
	}
	code := m.Run()
	if code != 0 {
		dumpLogs(dir)
	}
	return code, st.Stop()
}

// startWithChartIdentity starts the stack with the controller running as the Helm chart's
// ServiceAccount, bound to the chart's ClusterRole.
func startWithChartIdentity(ctx context.Context, cfg stack.Config) (*stack.Stack, error) {
	cfg.ControllerKubeconfig = filepath.Join(cfg.Dir, "controller.kubeconfig")
	s, err := stack.StartAPI(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := installChartIdentity(s); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	if err := s.StartLocal(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func installChartIdentity(s *stack.Stack) error {
	helm := filepath.Join(testenv.ModuleRoot(), "bin", "tools", "helm")
	out, err := exec.Command(helm, "template", "claimgate", filepath.Join(testenv.ModuleRoot(), "charts", "claimgate"),
		"--namespace", stack.ControllerNamespace,
		"--show-only", "templates/serviceaccount.yaml", "--show-only", "templates/rbac.yaml").Output()
	if err != nil {
		return fmt.Errorf("rendering the chart's RBAC (run `make tools` for helm): %w", err)
	}
	rbacFile := filepath.Join(s.Dir, "chart-rbac.yaml")
	if err := os.WriteFile(rbacFile, out, 0o600); err != nil {
		return err
	}
	if _, err := s.Kubectl("apply", "-f", rbacFile); err != nil {
		return err
	}
	token, err := s.Kubectl("create", "token", "claimgate-controller", "-n", stack.ControllerNamespace, "--duration=2h")
	if err != nil {
		return err
	}
	return writeTokenKubeconfig(s, strings.TrimSpace(token), s.ControllerKubeconfig)
}

func writeTokenKubeconfig(s *stack.Stack, token, path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: s.Env.Config.Host, CertificateAuthorityData: s.Env.Config.CAData}
	cfg.AuthInfos["controller"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "controller"}
	cfg.CurrentContext = "local"
	return clientcmd.WriteToFile(*cfg, path)
}

func buildBinaries(bin string) error {
	cmd := exec.Command("go", "build", "-o", bin+"/", "./cmd/controller", "./cmd/proxy")
	cmd.Dir = testenv.ModuleRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the binaries: %w\n%s", err, out)
	}
	return nil
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func dumpLogs(dir string) {
	for _, name := range []string{"controller", "proxy"} {
		b, err := os.ReadFile(filepath.Join(dir, "logs", name+".log"))
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		fmt.Fprintf(os.Stderr, "---- last lines of the %s log ----\n%s\n", name, strings.Join(lines, "\n"))
	}
}
