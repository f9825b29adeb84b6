package publish

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Keys of the certificate Secrets (type kubernetes.io/tls).
const (
	// CAKey holds the CA certificate in every certificate Secret.
	CAKey = "ca.crt"
	// CertKey and PrivateKeyKey hold the Secret's own certificate and private key.
	CertKey       = corev1.TLSCertKey
	PrivateKeyKey = corev1.TLSPrivateKeyKey
)

// CertConfig says where the snapshot channel's certificates live.
type CertConfig struct {
	// Client reads and creates the Secrets (uncached: this runs before the manager starts).
	Client client.Client
	// Namespace is the controller's namespace, where the Secrets live.
	Namespace string
	// CASecret, ServerSecret and ClientSecret name the Secrets of the CA, of the
	// controller's server certificate, and of the client certificate proxies mount.
	CASecret, ServerSecret, ClientSecret string
	// ServiceName is the controller's Service: its DNS names go in the server certificate
	// with localhost, 127.0.0.1 and ExtraSANs.
	ServiceName string
	// ExtraSANs are more DNS names or IP addresses for the server certificate.
	ExtraSANs []string
	// Validity is how long new certificates are valid (10 years when zero).
	Validity time.Duration
	// Clock is the time source (the real clock when nil).
	Clock clock.PassiveClock
	// Logger logs which Secrets were created or reused (never their data).
	Logger logr.Logger
}

// Bundle is the PEM material of the snapshot channel.
type Bundle struct {
	CA []byte
	// CAKey is the CA's private key, for issuing proxy certificates (see ProxyIssuer).
	// It is never written to files.
	CAKey                 []byte
	ServerCert, ServerKey []byte
	ClientCert, ClientKey []byte
}

// renewBefore is how long before expiry a certificate is replaced at start-up.
const renewBefore = 30 * 24 * time.Hour

// EnsureCertificates returns the CA, server and client certificates, creating their
// Secrets the first time and reusing them afterwards. Replicas racing at start-up all end
// with the same certificates: whoever loses a create reads what the winner wrote.
// A certificate that no longer fits (another CA, a missing SAN, near expiry) is reissued.
func EnsureCertificates(ctx context.Context, cfg CertConfig) (*Bundle, error) {
	if cfg.Validity <= 0 {
		cfg.Validity = 10 * 365 * 24 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	e := ensurer{cfg: cfg}
	ca, err := e.ensureCA(ctx)
	if err != nil {
		return nil, err
	}
	server, err := e.ensureLeaf(ctx, ca, cfg.ServerSecret, "claimgate-controller", ServerSANs(cfg), x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	client, err := e.ensureLeaf(ctx, ca, cfg.ClientSecret, "claimgate-proxy", nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	return &Bundle{
		CA: ca.pair.cert, CAKey: ca.pair.key, ServerCert: server.cert, ServerKey: server.key,
		ClientCert: client.cert, ClientKey: client.key,
	}, nil
}

// ServerSANs are the names the server certificate covers.
func ServerSANs(cfg CertConfig) []string {
	sans := []string{"localhost", "127.0.0.1"}
	if cfg.ServiceName != "" {
		svc, ns := cfg.ServiceName, cfg.Namespace
		sans = append(sans, svc, svc+"."+ns, svc+"."+ns+".svc", svc+"."+ns+".svc.cluster.local")
	}
	return append(sans, cfg.ExtraSANs...)
}

type ensurer struct {
	cfg CertConfig
}

func (e ensurer) ensureCA(ctx context.Context) (*authority, error) {
	var ca *authority
	issue := func() (keyPair, error) {
		a, err := newAuthority(e.cfg.Clock.Now(), e.cfg.Validity)
		if err != nil {
			return keyPair{}, err
		}
		return a.pair, nil
	}
	check := func(p keyPair) error {
		a, err := parseAuthority(p)
		if err != nil {
			return err
		}
		if e.cfg.Clock.Now().Add(renewBefore).After(a.cert.NotAfter) {
			return fmt.Errorf("the CA expires at %s", a.cert.NotAfter.Format(time.RFC3339))
		}
		ca = a
		return nil
	}
	if _, err := e.ensureSecret(ctx, e.cfg.CASecret, nil, issue, check); err != nil {
		return nil, err
	}
	return ca, nil
}

func (e ensurer) ensureLeaf(ctx context.Context, ca *authority, name, cn string, sans []string, usage x509.ExtKeyUsage) (keyPair, error) {
	now := e.cfg.Clock.Now()
	issue := func() (keyPair, error) { return ca.issue(cn, sans, usage, now, e.cfg.Validity) }
	check := func(p keyPair) error { return ca.verifyLeaf(p, sans, usage, now, renewBefore) }
	return e.ensureSecret(ctx, name, ca.pair.cert, issue, check)
}

// ensureSecret reads the Secret name and returns its key pair when check accepts it;
// otherwise it writes a new pair from issue (create, or update on a stale Secret),
// re-reading on a lost race. caPEM is stored as ca.crt (the pair's own cert when nil).
func (e ensurer) ensureSecret(ctx context.Context, name string, caPEM []byte, issue func() (keyPair, error), check func(keyPair) error) (keyPair, error) {
	key := types.NamespacedName{Namespace: e.cfg.Namespace, Name: name}
	log := e.cfg.Logger.WithValues("secret", key.String())
	for attempt := 0; attempt < 5; attempt++ {
		var s corev1.Secret
		err := e.cfg.Client.Get(ctx, key, &s)
		if err != nil && !apierrors.IsNotFound(err) {
			return keyPair{}, fmt.Errorf("reading certificate Secret %s: %w", key, err)
		}
		found := err == nil
		if found {
			p := keyPair{cert: s.Data[CertKey], key: s.Data[PrivateKeyKey]}
			cerr := check(p)
			if cerr == nil {
				log.V(1).Info("reusing certificate Secret")
				return p, nil
			}
			log.Info("replacing certificate Secret", "reason", cerr.Error())
		}
		p, err := issue()
		if err != nil {
			return keyPair{}, fmt.Errorf("issuing the certificate of Secret %s: %w", key, err)
		}
		e.fill(&s, key, p, caPEM)
		if found {
			err = e.cfg.Client.Update(ctx, &s)
		} else {
			err = e.cfg.Client.Create(ctx, &s)
		}
		switch {
		case err == nil:
			log.Info("wrote certificate Secret")
			if err := check(p); err != nil {
				return keyPair{}, fmt.Errorf("checking the new certificate of Secret %s: %w", key, err)
			}
			return p, nil
		case apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err):
			continue // another replica wrote it first: read theirs
		default:
			return keyPair{}, fmt.Errorf("writing certificate Secret %s: %w", key, err)
		}
	}
	return keyPair{}, errors.New("certificate Secret " + key.String() + " keeps changing; giving up")
}

func (e ensurer) fill(s *corev1.Secret, key types.NamespacedName, p keyPair, caPEM []byte) {
	if caPEM == nil {
		caPEM = p.cert
	}
	s.ObjectMeta = metav1.ObjectMeta{
		Name: key.Name, Namespace: key.Namespace, ResourceVersion: s.ResourceVersion,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "claimgate", "app.kubernetes.io/component": "snapshot-tls"},
	}
	s.Type = corev1.SecretTypeTLS
	s.Data = map[string][]byte{CertKey: p.cert, PrivateKeyKey: p.key, CAKey: caPEM}
}
