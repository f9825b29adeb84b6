package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

const wait = 20 * time.Second

// eventually reads obj until check passes, failing with the last message check gave.
func eventually(t *testing.T, key types.NamespacedName, obj client.Object, check func() string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := env.Client.Get(context.Background(), key, obj); err != nil {
			last = err.Error()
			continue
		}
		if last = check(); last == "" {
			return
		}
	}
	require.Failf(t, "condition not reached", "%T %s: %s", obj, key, last)
}

// condition describes a condition's status, reason and message, or says it is missing.
func condition(conds []metav1.Condition, typ string, gen int64) (metav1.Condition, string) {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return metav1.Condition{}, typ + " is missing"
	}
	if c.ObservedGeneration != gen {
		return *c, typ + " has an old observedGeneration"
	}
	return *c, ""
}

// wantCondition checks that a condition has status (and a message containing msg).
func wantCondition(conds []metav1.Condition, typ string, gen int64, status metav1.ConditionStatus, msg string) string {
	c, problem := condition(conds, typ, gen)
	switch {
	case problem != "":
		return problem
	case c.Status != status:
		return typ + " is " + string(c.Status) + ": " + c.Reason + ": " + c.Message
	case msg != "" && !strings.Contains(c.Message, msg):
		return typ + " message is " + c.Message + ", want it to contain " + msg
	}
	return ""
}

func gatewayCondition(t *testing.T, key types.NamespacedName, typ string, status metav1.ConditionStatus, msg string) *gwv1.Gateway {
	t.Helper()
	var gw gwv1.Gateway
	eventually(t, key, &gw, func() string { return wantCondition(gw.Status.Conditions, typ, gw.Generation, status, msg) })
	return &gw
}

func routeAccepted(t *testing.T, key types.NamespacedName) {
	t.Helper()
	var r gwv1.HTTPRoute
	eventually(t, key, &r, func() string {
		if len(r.Status.Parents) != 1 {
			return "want one parent status"
		}
		p := r.Status.Parents[0]
		if p.ControllerName != "claimgate.dev/gateway-controller" {
			return "parent status of " + string(p.ControllerName)
		}
		if m := wantCondition(p.Conditions, "Accepted", r.Generation, metav1.ConditionTrue, ""); m != "" {
			return m
		}
		return wantCondition(p.Conditions, "ResolvedRefs", r.Generation, metav1.ConditionTrue, "")
	})
}

func vhoCondition(t *testing.T, key types.NamespacedName, status metav1.ConditionStatus, msg string) *gatewayv1.VirtualHostOption {
	t.Helper()
	var o gatewayv1.VirtualHostOption
	eventually(t, key, &o, func() string { return wantCondition(o.Status.Conditions, "Accepted", o.Generation, status, msg) })
	return &o
}

func rtoAccepted(t *testing.T, key types.NamespacedName) {
	t.Helper()
	var o gatewayv1.RouteOption
	eventually(t, key, &o, func() string {
		if len(o.Status.Ancestors) == 0 {
			return "no ancestors"
		}
		return wantCondition(o.Status.Conditions, "Accepted", o.Generation, metav1.ConditionTrue, "")
	})
}

func upstreamAccepted(t *testing.T, key types.NamespacedName) {
	t.Helper()
	var u gloov1.Upstream
	eventually(t, key, &u, func() string {
		return wantCondition(u.Status.Conditions, "Accepted", u.Generation, metav1.ConditionTrue, "")
	})
}

// routes returns every route of every listener of s.
func routes(s *snapshotv1.Snapshot) []*snapshotv1.Route {
	var out []*snapshotv1.Route
	for _, l := range s.GetListeners() {
		for _, vh := range l.GetVirtualHosts() {
			out = append(out, vh.GetRoutes()...)
		}
	}
	return out
}
