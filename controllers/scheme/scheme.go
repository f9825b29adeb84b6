// Package scheme builds the runtime.Scheme with every kind claimgate reads or writes:
// the Kubernetes built-ins, Gateway API v1 and claimgate's gateway.solo.io and
// gloo.solo.io and ratelimit.solo.io kinds. Tests and the controller share it.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
)

// New returns a scheme with every kind claimgate uses.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(gwv1.Install(s))
	utilruntime.Must(gatewayv1.AddToScheme(s))
	utilruntime.Must(gloov1.AddToScheme(s))
	utilruntime.Must(ratelimitv1alpha1.AddToScheme(s))
	return s
}
