package compile

import (
	"crypto/tls"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// listenerIR is one listener of a Gateway being compiled.
type listenerIR struct {
	gw    *gatewayIR
	index int // in the Gateway's spec
	spec  *gwv1.Listener
	// accepted, resolved and conflicted are the problems of each listener condition.
	accepted, resolved, conflicted problems
	// dropped is set when the listener is left out of the snapshot.
	dropped bool
	tls     *snapshotv1.ListenerTLS
	kinds   []gwv1.RouteGroupKind
	// attachments are the routes attached to this listener, in route order.
	attachments []*attachment
	// vhosts are the routes of each domain, laid out when the snapshot is built.
	vhosts map[string]*vhostState
	// vhos are the VirtualHostOptions that apply, in merge order.
	vhos []*vhoAttachment
	// options are the merged VirtualHostOptions.
	options vhostOptions
}

func (l *listenerIR) served() bool { return !l.dropped }

// hostname is the listener's hostname, "" when unset.
func (l *listenerIR) hostname() string {
	if l.spec.Hostname == nil {
		return ""
	}
	return string(*l.spec.Hostname)
}

// buildListeners checks each listener of gw: protocol, route kinds, TLS certificates
// and conflicts between listeners on one port.
func (c *compiler) buildListeners(gw *gatewayIR) {
	for i := range gw.obj.Spec.Listeners {
		l := &listenerIR{gw: gw, index: i, spec: &gw.obj.Spec.Listeners[i]}
		gw.listeners = append(gw.listeners, l)
		gw.byName[l.spec.Name] = l
		c.checkProtocol(l)
		checkRouteKinds(l)
		if l.spec.Protocol == gwv1.HTTPSProtocolType {
			c.resolveListenerTLS(l)
		}
	}
	findConflicts(gw)
}

func (c *compiler) checkProtocol(l *listenerIR) {
	switch l.spec.Protocol {
	case gwv1.HTTPProtocolType, gwv1.HTTPSProtocolType:
	default:
		l.accepted.add(string(gwv1.ListenerReasonUnsupportedProtocol),
			fmt.Sprintf("listener %s: protocol %s is not supported; use HTTP or HTTPS", l.spec.Name, l.spec.Protocol))
		l.dropped = true
	}
}

// checkRouteKinds keeps the supported kinds of allowedRoutes.kinds: only HTTPRoute.
func checkRouteKinds(l *listenerIR) {
	httpRoute := gwv1.RouteGroupKind{Group: ptr(gwv1.Group(groupGateway)), Kind: kindHTTPRoute}
	if l.spec.AllowedRoutes == nil || len(l.spec.AllowedRoutes.Kinds) == 0 {
		l.kinds = []gwv1.RouteGroupKind{httpRoute}
		return
	}
	for _, k := range l.spec.AllowedRoutes.Kinds {
		if (k.Group == nil || *k.Group == groupGateway) && k.Kind == kindHTTPRoute {
			l.kinds = []gwv1.RouteGroupKind{httpRoute}
			continue
		}
		kind := string(k.Kind)
		if k.Group != nil && *k.Group != "" {
			kind = string(*k.Group) + "/" + kind
		}
		l.resolved.add(string(gwv1.ListenerReasonInvalidRouteKinds),
			fmt.Sprintf("listener %s: allowedRoutes.kinds %s is not supported; only HTTPRoute is", l.spec.Name, kind))
	}
}

// resolveListenerTLS loads the certificates of an HTTPS listener. A listener whose
// certificates cannot all be loaded is dropped: it is never served without TLS.
func (c *compiler) resolveListenerTLS(l *listenerIR) {
	t := l.spec.TLS
	switch {
	case t != nil && t.Mode != nil && *t.Mode == gwv1.TLSModePassthrough:
		l.accepted.add(string(gwv1.ListenerReasonUnsupportedValue),
			fmt.Sprintf("listener %s: tls.mode Passthrough is not supported with protocol HTTPS; use Terminate", l.spec.Name))
		l.dropped = true
		return
	case t == nil || len(t.CertificateRefs) == 0:
		l.resolved.add(string(gwv1.ListenerReasonInvalidCertificateRef),
			fmt.Sprintf("listener %s: an HTTPS listener needs tls.certificateRefs naming a kubernetes.io/tls Secret", l.spec.Name))
		l.dropped = true
		return
	}
	out := &snapshotv1.ListenerTLS{}
	for i, ref := range t.CertificateRefs {
		cert, reason, msg := c.loadCertificate(l.gw.obj, ref)
		if cert == nil {
			l.resolved.add(reason, fmt.Sprintf("listener %s: tls.certificateRefs[%d]: %s", l.spec.Name, i, msg))
			l.dropped = true
			continue
		}
		out.Certificates = append(out.Certificates, cert)
	}
	if !l.dropped {
		l.tls = out
	}
}

// loadCertificate resolves one certificateRef into a certificate and key, checking
// that they form a valid pair. Messages never contain the Secret's content.
func (c *compiler) loadCertificate(gw *gwv1.Gateway, ref gwv1.SecretObjectReference) (*snapshotv1.Certificate, string, string) {
	invalid := string(gwv1.ListenerReasonInvalidCertificateRef)
	key, ok := certificateSecret(gw, ref)
	if !ok {
		return nil, invalid, "only core Secrets are supported as certificates"
	}
	if !c.idx.refAllowed(groupGateway, kindGateway, gw.Namespace, groupCore, kindSecret, key.Namespace, key.Name) {
		return nil, string(gwv1.ListenerReasonRefNotPermitted),
			fmt.Sprintf("Secret %s is in another namespace and no ReferenceGrant in %s allows Gateways from %s to use it; add one", key, key.Namespace, gw.Namespace)
	}
	s, ok := c.idx.secrets[key]
	if !ok {
		return nil, invalid, fmt.Sprintf("Secret %s not found; create a kubernetes.io/tls Secret with tls.crt and tls.key", key)
	}
	crt, key2 := s.Data["tls.crt"], s.Data["tls.key"]
	if len(crt) == 0 || len(key2) == 0 {
		return nil, invalid, fmt.Sprintf("Secret %s needs both tls.crt and tls.key", key)
	}
	if _, err := tls.X509KeyPair(crt, key2); err != nil {
		return nil, invalid, fmt.Sprintf("Secret %s: tls.crt and tls.key are not a valid certificate and key: %v", key, err)
	}
	return &snapshotv1.Certificate{CertificatePem: crt, PrivateKeyPem: key2}, "", ""
}

// findConflicts drops listeners that share a port with a different protocol, or the
// same protocol and hostname.
func findConflicts(gw *gatewayIR) {
	for i, a := range gw.listeners {
		for _, b := range gw.listeners[i+1:] {
			if a.spec.Port != b.spec.Port {
				continue
			}
			switch {
			case a.spec.Protocol != b.spec.Protocol:
				markConflict(a, b, gwv1.ListenerReasonProtocolConflict, "with another protocol")
			case a.hostname() == b.hostname():
				markConflict(a, b, gwv1.ListenerReasonHostnameConflict, "with the same hostname")
			}
		}
	}
}

func markConflict(a, b *listenerIR, reason gwv1.ListenerConditionReason, what string) {
	for _, pair := range [][2]*listenerIR{{a, b}, {b, a}} {
		pair[0].conflicted.add(string(reason), fmt.Sprintf("listener %s: port %d is also used by listener %s %s; give one of them another port",
			pair[0].spec.Name, pair[0].spec.Port, pair[1].spec.Name, what))
		pair[0].dropped = true
	}
}

// status is the listener status as far as the compiler knows: Programmed means the
// listener is in the snapshot, not yet that proxies serve it.
func (l *listenerIR) status() gwv1.ListenerStatus {
	gen := l.gw.obj.Generation
	programmed := problems{}
	if l.dropped {
		programmed.add(string(gwv1.ListenerReasonInvalid), fmt.Sprintf("listener %s is not in the snapshot; see its other conditions", l.spec.Name))
	}
	conflicted := condition(string(gwv1.ListenerConditionConflicted), false, string(gwv1.ListenerReasonNoConflicts), "no conflict with other listeners", gen)
	if len(l.conflicted) > 0 {
		conflicted = condition(string(gwv1.ListenerConditionConflicted), true, l.conflicted[0].reason, l.conflicted.message(), gen)
	}
	return gwv1.ListenerStatus{
		Name:           l.spec.Name,
		SupportedKinds: slices.Clone(l.kinds),
		AttachedRoutes: int32(len(l.attachments)),
		Conditions: []metav1.Condition{
			l.accepted.condition(string(gwv1.ListenerConditionAccepted), string(gwv1.ListenerReasonAccepted), "the listener is valid", gen),
			conflicted,
			l.resolved.condition(string(gwv1.ListenerConditionResolvedRefs), string(gwv1.ListenerReasonResolvedRefs), "every reference was resolved", gen),
			programmed.condition(string(gwv1.ListenerConditionProgrammed), string(gwv1.ListenerReasonProgrammed), "the listener is in the snapshot", gen),
		},
	}
}

func ptr[T any](v T) *T { return &v }
