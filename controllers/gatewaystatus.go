package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/claimgate/claimgate/controllers/compile"
	"github.com/claimgate/claimgate/controllers/publish"
)

// gatewayStatus lays over gw's status (gw is read-only) the compiler's, the Programmed
// condition (from the proxies' acknowledgements) and the addresses of the provisioned
// Service (nil: none yet). It returns a copy with the new status, or false when unchanged.
func gatewayStatus(gw *gwv1.Gateway, desired gwv1.GatewayStatus, programmed metav1.Condition, svc *corev1.Service, now metav1.Time) (*gwv1.Gateway, bool) {
	old := &gw.Status
	next := *old.DeepCopy()
	conds := append([]metav1.Condition(nil), desired.Conditions...)
	conds = setCondition(conds, programmed)
	next.Conditions = mergeConditions(old.Conditions, conds, gw.Generation, now)
	listeners := make([]gwv1.ListenerStatus, 0, len(desired.Listeners))
	for _, dl := range desired.Listeners {
		l := *dl.DeepCopy() // the compiler's results are read-only
		var existing []metav1.Condition
		for _, o := range old.Listeners {
			if o.Name == l.Name {
				existing = o.Conditions
			}
		}
		l.Conditions = mergeConditions(existing, l.Conditions, gw.Generation, now)
		listeners = append(listeners, l)
	}
	next.Listeners = listeners
	if svc != nil {
		next.Addresses = serviceAddresses(svc)
	}
	if equality.Semantic.DeepEqual(*old, next) {
		return gw, false
	}
	obj := gw.DeepCopy()
	obj.Status = next
	return obj, true
}

// programmed says whether the proxies of gw serve its current snapshot.
func (r *Reconciler) programmed(gw types.NamespacedName, out compile.Result) metav1.Condition {
	c := metav1.Condition{Type: string(gwv1.GatewayConditionProgrammed), Status: metav1.ConditionFalse}
	snap, ok := out.Snapshots[gw]
	if !ok {
		c.Reason, c.Message = string(gwv1.GatewayReasonInvalid), "no snapshot was compiled for this Gateway"
		return c
	}
	if acc := meta.FindStatusCondition(out.Gateways[gw].Conditions, string(gwv1.GatewayConditionAccepted)); acc != nil && acc.Status != metav1.ConditionTrue {
		c.Reason, c.Message = string(gwv1.GatewayReasonInvalid), "the Gateway is not accepted: "+acc.Message
		return c
	}
	v := publish.ShortVersion(snap.GetVersion())
	ro := r.cfg.Tracker.Rollout(gw, snap.GetVersion())
	switch {
	case len(ro.Rejections) > 0:
		rej := ro.Rejections[0]
		c.Reason = string(gwv1.GatewayReasonInvalid)
		c.Message = fmt.Sprintf("proxy %s rejected snapshot %s: %s", rej.Instance, v, rej.Error)
		if n := len(ro.Rejections) - 1; n > 0 {
			c.Message += fmt.Sprintf(" (and %d more)", n)
		}
	case ro.Connected > 0 && ro.Acked == ro.Connected:
		c.Status, c.Reason = metav1.ConditionTrue, string(gwv1.GatewayReasonProgrammed)
		c.Message = fmt.Sprintf("snapshot %s acknowledged by %d/%d proxies", v, ro.Acked, ro.Connected)
	default:
		c.Reason = string(gwv1.GatewayReasonPending)
		c.Message = fmt.Sprintf("waiting for proxies to acknowledge snapshot %s (%d/%d)", v, ro.Acked, ro.Connected)
	}
	return c
}

// setCondition replaces the condition of c's type in conds, or appends c.
func setCondition(conds []metav1.Condition, c metav1.Condition) []metav1.Condition {
	for i := range conds {
		if conds[i].Type == c.Type {
			conds[i] = c
			return conds
		}
	}
	return append(conds, c)
}

// serviceAddresses are the Gateway's addresses: the load balancer's ingress when it has
// one, else the Service's cluster IPs.
func serviceAddresses(svc *corev1.Service) []gwv1.GatewayStatusAddress {
	var out []gwv1.GatewayStatusAddress
	for _, in := range svc.Status.LoadBalancer.Ingress {
		switch {
		case in.IP != "":
			out = append(out, gwv1.GatewayStatusAddress{Type: ptr.To(gwv1.IPAddressType), Value: in.IP})
		case in.Hostname != "":
			out = append(out, gwv1.GatewayStatusAddress{Type: ptr.To(gwv1.HostnameAddressType), Value: in.Hostname})
		}
	}
	if len(out) > 0 {
		return out
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if ip != corev1.ClusterIPNone {
			out = append(out, gwv1.GatewayStatusAddress{Type: ptr.To(gwv1.IPAddressType), Value: ip})
		}
	}
	return out
}
