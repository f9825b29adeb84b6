package compile

import (
	"bytes"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// DecodeInputs reads Inputs from multi-document Kubernetes YAML, as kubectl would send
// the objects (strictly: an unknown field is an error; Secrets' stringData is moved into
// data as the API server does). The claimgate GatewayClass is added when the YAML has
// none. It serves compiling manifests without an API server: golden tests, and checking
// what a set of manifests would become.
func DecodeInputs(data []byte) (Inputs, error) {
	in := Inputs{ControllerName: ControllerName}
	for i, doc := range splitYAML(data) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return Inputs{}, fmt.Errorf("document %d: %w", i, err)
		}
		if err := decodeInto(&in, tm, doc); err != nil {
			return Inputs{}, fmt.Errorf("document %d (%s %s): %w", i, tm.APIVersion, tm.Kind, err)
		}
	}
	if !slices.ContainsFunc(in.GatewayClasses, func(gc gwv1.GatewayClass) bool { return gc.Name == "claimgate" }) {
		in.GatewayClasses = append(in.GatewayClasses, gwv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: "claimgate"},
			Spec:       gwv1.GatewayClassSpec{ControllerName: ControllerName},
		})
	}
	return in, nil
}

func splitYAML(data []byte) [][]byte {
	var out [][]byte
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			out = append(out, doc)
		}
	}
	return out
}

func decodeInto(in *Inputs, tm metav1.TypeMeta, doc []byte) error {
	switch tm.APIVersion + "/" + tm.Kind {
	case "gateway.networking.k8s.io/v1/GatewayClass":
		return appendDecoded(doc, &in.GatewayClasses)
	case "gateway.networking.k8s.io/v1/Gateway":
		return appendDecoded(doc, &in.Gateways)
	case "gateway.networking.k8s.io/v1/HTTPRoute":
		return appendDecodedPointer(doc, &in.HTTPRoutes)
	case "gateway.networking.k8s.io/v1/ReferenceGrant", "gateway.networking.k8s.io/v1beta1/ReferenceGrant":
		return appendDecoded(doc, &in.ReferenceGrants)
	case "v1/Service":
		return appendDecoded(doc, &in.Services)
	case "v1/Namespace":
		return appendDecoded(doc, &in.Namespaces)
	case "v1/Secret":
		if err := appendDecoded(doc, &in.Secrets); err != nil {
			return err
		}
		s := &in.Secrets[len(in.Secrets)-1]
		for k, v := range s.StringData { // as the API server does
			if s.Data == nil {
				s.Data = map[string][]byte{}
			}
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
		return nil
	case "gateway.solo.io/v1/VirtualHostOption":
		return appendDecoded(doc, &in.VirtualHostOptions)
	case "gateway.solo.io/v1/RouteOption":
		return appendDecodedPointer(doc, &in.RouteOptions)
	case "gloo.solo.io/v1/Upstream":
		return appendDecoded(doc, &in.Upstreams)
	case "ratelimit.solo.io/v1alpha1/RateLimitConfig":
		return appendDecoded(doc, &in.RateLimitConfigs)
	default:
		return fmt.Errorf("unsupported object %s %s", tm.APIVersion, tm.Kind)
	}
}

func appendDecodedPointer[T any](doc []byte, list *[]*T) error {
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return err
	}
	*list = append(*list, &v)
	return nil
}

func appendDecoded[T any](doc []byte, list *[]T) error {
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}
