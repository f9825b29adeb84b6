package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestAPIServer starts the local etcd and kube-apiserver and checks what the stack relies
// on: the administrator's kubeconfig, the CRDs, service account tokens, RBAC, and a Stop
// that leaves nothing behind.
func TestAPIServer(t *testing.T) {
	dir := t.TempDir()
	a, err := startAPIServer(t.Context(), apiServerPaths{
		State:      filepath.Join(dir, "apiserver"),
		Logs:       dir,
		Kubeconfig: filepath.Join(dir, "kubeconfig"),
	})
	if err != nil {
		for _, name := range []string{"etcd", "kube-apiserver"} {
			log, _ := os.ReadFile(filepath.Join(dir, name+".log"))
			t.Logf("%s log:\n%s", name, log)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })

	who, err := a.Kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	require.NoError(t, err)
	require.Contains(t, who, "admin ")
	require.Contains(t, who, "system:masters")

	crds, err := a.Kubectl("get", "crd", "-o", "name")
	require.NoError(t, err)
	for _, name := range []string{
		"gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io",
		"httproutes.gateway.networking.k8s.io", "referencegrants.gateway.networking.k8s.io",
		"routeoptions.gateway.solo.io", "virtualhostoptions.gateway.solo.io", "upstreams.gloo.solo.io",
	} {
		require.Contains(t, crds, "customresourcedefinition.apiextensions.k8s.io/"+name+"\n")
	}
	_, err = a.Kubectl("get", "gateways,httproutes,routeoptions,virtualhostoptions,upstreams", "-A")
	require.NoError(t, err, "every installed kind is served")

	serviceAccountTokens(t, a)

	require.NoError(t, a.Stop())
	for _, p := range []*Process{a.etcd, a.kube} {
		exited, _ := p.Exited()
		require.True(t, exited, p.Name)
	}
	_, err = os.Stat(filepath.Join(dir, "apiserver"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// serviceAccountTokens checks that a token the API server issued authenticates its
// ServiceAccount, which RBAC then grants nothing.
func serviceAccountTokens(t *testing.T, a *APIServer) {
	t.Helper()
	_, err := a.Kubectl("create", "serviceaccount", "probe", "-n", "default")
	require.NoError(t, err)
	token, err := a.Kubectl("create", "token", "probe", "-n", "default")
	require.NoError(t, err)
	cfg := rest.AnonymousClientConfig(a.Config)
	cfg.BearerToken = strings.TrimSpace(token)
	c, err := client.New(cfg, client.Options{Scheme: clientScheme()})
	require.NoError(t, err)

	review := &authenticationv1.SelfSubjectReview{}
	require.NoError(t, c.Create(t.Context(), review))
	require.Equal(t, "system:serviceaccount:default:probe", review.Status.UserInfo.Username)

	err = c.List(t.Context(), &corev1.SecretList{}, client.InNamespace("default"))
	require.True(t, apierrors.IsForbidden(err), "want forbidden, got %v", err)
}
