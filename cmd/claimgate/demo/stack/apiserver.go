package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/checkout"
	"github.com/claimgate/claimgate/controllers/scheme"
)

// APIServer is a local etcd and kube-apiserver with claimgate's CRDs and the Gateway API
// CRDs the controller uses installed, reached as the administrator.
type APIServer struct {
	// Config reaches the API server as the administrator (user admin, group
	// system:masters, by a client certificate).
	Config *rest.Config
	// Client is a controller-runtime client with every kind claimgate uses registered.
	Client client.Client
	// Kubeconfig is the administrator's kubeconfig file, for kubectl.
	Kubeconfig string

	dir  string
	etcd *Process
	kube *Process
}

// apiServerPaths says where an APIServer keeps its state, its logs and the kubeconfig.
type apiServerPaths struct {
	// State holds the certificates, the service account key and etcd's data. It is made
	// afresh on start and removed on Stop.
	State, Logs, Kubeconfig string
}

// startAPIServer starts etcd and kube-apiserver from bin/k8s (checkout.K8sBinaries),
// writes the administrator's kubeconfig and installs the CRDs. Call Stop when done.
func startAPIServer(ctx context.Context, paths apiServerPaths) (*APIServer, error) {
	assets := checkout.K8sBinaries()
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(assets, name)); err != nil {
			return nil, fmt.Errorf("%s not found in %s (run `make k8s`): %w", name, assets, err)
		}
	}
	if err := os.RemoveAll(paths.State); err != nil {
		return nil, fmt.Errorf("removing the API server's earlier state: %w", err)
	}
	a := &APIServer{dir: paths.State, Kubeconfig: paths.Kubeconfig}
	if err := a.start(ctx, assets, paths.Logs); err != nil {
		return nil, errors.Join(err, a.Stop())
	}
	return a, nil
}

func (a *APIServer) start(ctx context.Context, assets, logDir string) error {
	p, err := newPKI(filepath.Join(a.dir, "pki"))
	if err != nil {
		return err
	}
	ports, err := freePorts(ctx, 3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	a.etcd, err = StartProcess("etcd", filepath.Join(assets, "etcd"),
		etcdArgs(filepath.Join(a.dir, "etcd"), etcdURL, "http://127.0.0.1:"+strconv.Itoa(ports[1])),
		nil, filepath.Join(logDir, "etcd.log"))
	if err != nil {
		return err
	}
	if err := waitUntil(ctx, time.Minute, a.etcd, "etcd to be healthy", func() bool {
		return httpOK(etcdURL + "/health")
	}); err != nil {
		return err
	}
	host := "127.0.0.1:" + strconv.Itoa(ports[2])
	a.kube, err = StartProcess("kube-apiserver", filepath.Join(assets, "kube-apiserver"),
		kubeAPIServerArgs(p, etcdURL, host), nil, filepath.Join(logDir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	if err := a.connect(ctx, p, "https://"+host); err != nil {
		return err
	}
	return installCRDs(ctx, a)
}

// etcdArgs runs a single etcd member on loopback. Its data is thrown away with the stack,
// so it skips fsync.
func etcdArgs(dataDir, clientURL, peerURL string) []string {
	return []string{
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		"--unsafe-no-fsync=true",
	}
}

// kubeAPIServerArgs serves on host with p's certificates, trusts client certificates p's
// CA signed, signs service account tokens with p's key and authorizes by RBAC, so that
// the controller's ServiceAccount gets exactly what its ClusterRole grants. No
// kube-controller-manager runs to create each namespace's default ServiceAccount, so the
// ServiceAccount admission plugin, which requires it, is off.
func kubeAPIServerArgs(p *pki, etcdURL, host string) []string {
	addr, port, _ := net.SplitHostPort(host)
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=" + addr,
		"--secure-port=" + port,
		"--cert-dir=" + p.dir,
		"--tls-cert-file=" + p.servingCertFile(),
		"--tls-private-key-file=" + p.servingKeyFile(),
		"--client-ca-file=" + p.caFile(),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://" + host,
		"--service-account-key-file=" + p.saPubFile(),
		"--service-account-signing-key-file=" + p.saKeyFile(),
		"--service-cluster-ip-range=10.0.0.0/24",
		"--disable-admission-plugins=ServiceAccount",
	}
}

// connect makes the administrator's credentials, writes them as a kubeconfig and waits
// until the API server reports ready to them.
func (a *APIServer) connect(ctx context.Context, p *pki, url string) error {
	cert, key, err := p.issue(clientTemplate("admin", "system:masters"))
	if err != nil {
		return fmt.Errorf("issuing the administrator's client certificate: %w", err)
	}
	a.Config = &rest.Config{
		Host:            url,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM, CertData: cert, KeyData: key},
	}
	if err := writeKubeconfig(a.Config, a.Kubeconfig); err != nil {
		return err
	}
	hc, err := rest.HTTPClientFor(a.Config)
	if err != nil {
		return fmt.Errorf("creating an HTTP client for the API server: %w", err)
	}
	hc.Timeout = time.Second
	if err := waitUntil(ctx, 2*time.Minute, a.kube, "kube-apiserver to be ready", func() bool {
		return getOK(hc, url+"/readyz")
	}); err != nil {
		return err
	}
	a.Client, err = client.New(a.Config, client.Options{Scheme: clientScheme()})
	if err != nil {
		return fmt.Errorf("creating a client for the API server: %w", err)
	}
	return nil
}

// clientScheme is claimgate's scheme with the CRD kind, which the stack installs.
func clientScheme() *runtime.Scheme {
	s := scheme.New()
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		panic(fmt.Sprintf("registering the CRD kind: %v", err))
	}
	return s
}

// writeKubeconfig writes cfg's server and client certificate as a kubeconfig file at path.
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["claimgate-demo"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts["claimgate-demo"] = &clientcmdapi.Context{Cluster: "claimgate-demo", AuthInfo: "admin"}
	kc.CurrentContext = "claimgate-demo"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	return nil
}

// kubectlTimeout bounds one kubectl run, so that a stalled API server fails the caller
// instead of hanging it.
const kubectlTimeout = 2 * time.Minute

// Kubectl runs the real kubectl against the API server and returns its combined output.
func (a *APIServer) Kubectl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", a.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Stop stops kube-apiserver and etcd and removes their state. The kubeconfig stays.
func (a *APIServer) Stop() error {
	if a == nil {
		return nil
	}
	a.kube.Stop(20 * time.Second)
	a.etcd.Stop(10 * time.Second)
	if err := os.RemoveAll(a.dir); err != nil {
		return fmt.Errorf("removing the API server's state: %w", err)
	}
	return nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(ctx context.Context, n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func httpOK(url string) bool { return getOK(&http.Client{Timeout: time.Second}, url) }

func getOK(c *http.Client, url string) bool {
	resp, err := c.Get(url) //nolint:noctx // a local health probe with a timeout
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
