package controllers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Labels on every provisioned object. The selector labels never change.
const (
	labelManagedBy   = "app.kubernetes.io/managed-by"
	labelName        = "app.kubernetes.io/name"
	labelGatewayName = "gateway.networking.k8s.io/gateway-name"
	managedBy        = "claimgate"
	proxyAppName     = "claimgate-proxy"

	// tlsMountPath is where the proxy's client certificate Secret is mounted.
	tlsMountPath = "/etc/claimgate/tls"
	// adminPort serves the proxy's /healthz, /readyz and /metrics.
	adminPort = 9901
)

// ProxyConfig is how Gateways' proxies are provisioned.
type ProxyConfig struct {
	// Image is the proxy's container image.
	Image string
	// ImagePullPolicy is the container's pull policy (the Kubernetes default when empty).
	ImagePullPolicy corev1.PullPolicy
	// ServiceType is the type of each Gateway's Service (LoadBalancer by default).
	ServiceType corev1.ServiceType
	// ControllerAddress is where proxies reach the SnapshotService (host:port).
	ControllerAddress string
	// Resources are the proxy container's requests and limits.
	Resources corev1.ResourceRequirements
	// Issuer issues each Gateway's proxy client certificate, bound to that Gateway and
	// stored in a Secret in the Gateway's namespace, which the proxies mount.
	Issuer ProxyIssuer
}

// ProxyIssuer issues proxy client certificates (publish.ProxyIssuer).
type ProxyIssuer interface {
	// CA is the PEM CA certificate that verifies the controller.
	CA() []byte
	// Issue returns a new PEM certificate and key bound to gw.
	Issue(gw types.NamespacedName) (cert, key []byte, err error)
	// Valid reports whether cert and key are still good for gw.
	Valid(gw types.NamespacedName, cert, key []byte) bool
}

// proxyName names a Gateway's Deployment, Service and ServiceAccount: "claimgate-<name>",
// shortened with a hash when it would not be a valid Service name.
func proxyName(gw *gwv1.Gateway) string {
	name := "claimgate-" + gw.Name
	if len(name) <= 63 && !strings.Contains(name, ".") {
		return name
	}
	sum := sha256.Sum256([]byte(gw.Name))
	base := strings.TrimRight(strings.ReplaceAll(name, ".", "-")[:min(len(name), 50)], "-")
	return base + "-" + hex.EncodeToString(sum[:])[:8]
}

func selectorLabels(gw *gwv1.Gateway) map[string]string {
	return map[string]string{labelName: proxyAppName, labelGatewayName: gw.Name}
}

func proxyLabels(gw *gwv1.Gateway) map[string]string {
	l := selectorLabels(gw)
	l[labelManagedBy] = managedBy
	return l
}

// provision creates or updates the proxy ServiceAccount, client-certificate Secret,
// Service and Deployment of gw, owned by gw, and returns the Service.
func (r *Reconciler) provision(ctx context.Context, gw *gwv1.Gateway, snap *snapshotv1.Snapshot) (*corev1.Service, error) {
	name := proxyName(gw)
	meta := func(n string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: gw.Namespace, Name: n} }
	sa := &corev1.ServiceAccount{ObjectMeta: meta(name)}
	secret := &corev1.Secret{ObjectMeta: meta(certificateSecret(gw).Name)}
	svc := &corev1.Service{ObjectMeta: meta(name)}
	dep := &appsv1.Deployment{ObjectMeta: meta(name)}
	type step struct {
		obj    client.Object
		mutate func() error
	}
	steps := []step{{sa, func() error { sa.AutomountServiceAccountToken = ptr.To(false); return nil }}}
	if !r.certificateUpToDate(ctx, gw, certificateSecret(gw)) {
		steps = append(steps, step{secret, func() error { return r.mutateSecret(secret, gw) }})
	}
	steps = append(steps, step{dep, func() error { r.mutateDeployment(dep, gw, snap, name); return nil }})
	if len(listenerPorts(snap)) > 0 { // a Service needs a port: keep the old one meanwhile
		steps = append(steps, step{svc, func() error { r.mutateService(svc, gw, snap); return nil }})
	}
	var errs []error
	for _, s := range steps {
		if err := r.apply(ctx, gw, s.obj, s.mutate); err != nil {
			errs = append(errs, err)
		}
	}
	return svc, errors.Join(errs...)
}

// apply creates or updates obj with mutate, the proxy labels and gw as controller owner.
func (r *Reconciler) apply(ctx context.Context, gw *gwv1.Gateway, obj client.Object, mutate func() error) error {
	op, err := controllerutil.CreateOrUpdate(ctx, r.cfg.Client, obj, func() error {
		if err := mutate(); err != nil {
			return err
		}
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		for k, v := range proxyLabels(gw) {
			labels[k] = v
		}
		obj.SetLabels(labels)
		return controllerutil.SetControllerReference(gw, obj, r.cfg.Scheme)
	})
	kind := fmt.Sprintf("%T", obj)[len("*v1."):]
	if err != nil {
		return fmt.Errorf("provisioning %s %s/%s for Gateway %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), gw.Namespace, gw.Name, err)
	}
	if op != controllerutil.OperationResultNone {
		r.cfg.Logger.Info("provisioned proxy object", "kind", kind, "namespace", obj.GetNamespace(), "name", obj.GetName(), "operation", op)
	}
	return nil
}

// certificateSecret names the Secret holding the proxy certificate of gw.
func certificateSecret(gw *gwv1.Gateway) types.NamespacedName {
	return types.NamespacedName{Namespace: gw.Namespace, Name: proxyName(gw) + "-tls"}
}

// certificateUpToDate reports whether the proxy certificate Secret key of gw exists,
// is ours and holds a valid certificate, as read from the Secret cache: then it needs
// no write, and no read from the API server.
func (r *Reconciler) certificateUpToDate(ctx context.Context, gw *gwv1.Gateway, key types.NamespacedName) bool {
	s, err := r.secrets.get(ctx, key)
	if err != nil || !metav1.IsControlledBy(s, gw) {
		return false
	}
	for k, v := range proxyLabels(gw) {
		if s.Labels[k] != v {
			return false
		}
	}
	return r.certificateValid(s, gw)
}

// certificateValid reports whether s holds a certificate of gw, from the current CA,
// not near its expiry.
func (r *Reconciler) certificateValid(s *corev1.Secret, gw *gwv1.Gateway) bool {
	iss := r.cfg.Proxy.Issuer
	return bytes.Equal(s.Data["ca.crt"], iss.CA()) &&
		iss.Valid(types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}, s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
}

// mutateSecret keeps the proxy certificate of gw while it is valid, and issues a new one
// otherwise (first time, CA replaced, near expiry).
func (r *Reconciler) mutateSecret(s *corev1.Secret, gw *gwv1.Gateway) error {
	if s.CreationTimestamp.IsZero() {
		s.Type = corev1.SecretTypeTLS
	}
	if r.certificateValid(s, gw) {
		return nil
	}
	iss, key := r.cfg.Proxy.Issuer, types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}
	ca := iss.CA()
	cert, pk, err := iss.Issue(key)
	if err != nil {
		return err
	}
	s.Data = map[string][]byte{"ca.crt": ca, corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: pk}
	return nil
}

func (r *Reconciler) mutateService(svc *corev1.Service, gw *gwv1.Gateway, snap *snapshotv1.Snapshot) {
	svc.Spec.Type = r.cfg.Proxy.ServiceType
	svc.Spec.Selector = selectorLabels(gw)
	ports := make([]corev1.ServicePort, 0, len(snap.GetListeners()))
	for _, l := range listenerPorts(snap) {
		sp := corev1.ServicePort{Name: l.name, Protocol: corev1.ProtocolTCP, Port: l.port, TargetPort: intstr.FromInt32(l.port)}
		for _, old := range svc.Spec.Ports { // keep the node port the cluster allocated
			if old.Port == l.port {
				sp.NodePort = old.NodePort
			}
		}
		ports = append(ports, sp)
	}
	svc.Spec.Ports = ports
}

type listenerPort struct {
	name string
	port int32
}

// listenerPorts returns one port per distinct listener port of snap, named after the
// first listener on it (made a valid port name), sorted by port.
func listenerPorts(snap *snapshotv1.Snapshot) []listenerPort {
	byPort := map[int32]string{}
	for _, l := range snap.GetListeners() {
		p := int32(l.GetPort())
		if n, ok := byPort[p]; !ok || l.GetName() < n {
			byPort[p] = l.GetName()
		}
	}
	out := make([]listenerPort, 0, len(byPort))
	used := map[string]bool{}
	for p, n := range byPort {
		out = append(out, listenerPort{name: n, port: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].port < out[j].port })
	for i := range out {
		out[i].name = portName(out[i].name, out[i].port, used)
	}
	return out
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// portName makes a listener name a unique valid Service port name, falling back to
// "port-<number>".
func portName(listener string, port int32, used map[string]bool) string {
	n := strings.Trim(strings.ReplaceAll(strings.ToLower(listener), ".", "-"), "-")
	if len(n) > 63 || !dnsLabel.MatchString(n) || used[n] {
		n = "port-" + strconv.Itoa(int(port))
	}
	used[n] = true
	return n
}
