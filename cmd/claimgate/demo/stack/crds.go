package stack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/checkout"
)

// gatewayAPIResources are the Gateway API resources the controller reads and writes; their
// CRDs come from the gateway-api module's standard channel.
var gatewayAPIResources = []string{"gatewayclasses", "gateways", "httproutes", "referencegrants"}

// installCRDs creates the Gateway API CRDs and claimgate's (config/crd) and waits until
// the API server serves every version of them.
func installCRDs(ctx context.Context, a *APIServer) error {
	files, err := crdFiles(ctx)
	if err != nil {
		return err
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		in, err := readCRDs(f)
		if err != nil {
			return err
		}
		crds = append(crds, in...)
	}
	for _, crd := range crds {
		if err := a.Client.Create(ctx, crd); err != nil {
			return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
		}
	}
	dc, err := discovery.NewDiscoveryClientForConfig(a.Config)
	if err != nil {
		return fmt.Errorf("creating a discovery client: %w", err)
	}
	return waitUntil(ctx, time.Minute, a.kube, "the CRDs to be served", func() bool {
		crds = slices.DeleteFunc(crds, func(crd *apiextensionsv1.CustomResourceDefinition) bool {
			return served(dc, crd)
		})
		return len(crds) == 0
	})
}

func crdFiles(ctx context.Context) ([]string, error) {
	gw, err := checkout.GatewayAPICRDDir(ctx)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, r := range gatewayAPIResources {
		files = append(files, filepath.Join(gw, "gateway.networking.k8s.io_"+r+".yaml"))
	}
	dir := filepath.Join(checkout.Root(), "config", "crd")
	own, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing claimgate's CRDs: %w", err)
	}
	if len(own) == 0 {
		return nil, fmt.Errorf("listing claimgate's CRDs: none in %s", dir)
	}
	return append(files, own...), nil
}

// readCRDs decodes the CustomResourceDefinitions of a YAML file, skipping other kinds.
func readCRDs(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading CRDs: %w", err)
	}
	defer f.Close()
	var crds []*apiextensionsv1.CustomResourceDefinition
	docs := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("decoding a CRD of %s: %w", path, err)
		}
		if crd.Kind == "CustomResourceDefinition" {
			crds = append(crds, crd)
		}
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("%s holds no CustomResourceDefinition", path)
	}
	return crds, nil
}

// served reports whether discovery lists crd's resource in every version it serves.
func served(dc discovery.DiscoveryInterface, crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		list, err := dc.ServerResourcesForGroupVersion(crd.Spec.Group + "/" + v.Name)
		if err != nil || !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
			return r.Name == crd.Spec.Names.Plural
		}) {
			return false
		}
	}
	return true
}
