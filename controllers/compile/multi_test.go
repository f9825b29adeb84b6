package compile

import (
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
)

// TestReferencedSecretsOfMulti: the gather step reads the Secret of every member of a
// failover pool, once each, and none for members without a secretRef.
func TestReferencedSecretsOfMulti(t *testing.T) {
	ref := func(name, ns string) *gloov1.SingleAuthToken {
		return &gloov1.SingleAuthToken{SecretRef: &gloov1.SecretRef{Name: name, Namespace: ns}}
	}
	inline := "sk-inline"
	us := &gloov1.Upstream{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gloo-system", Name: "openai"},
		Spec: gloov1.UpstreamSpec{AI: &gloov1.AIUpstream{Multi: &gloov1.MultiPool{Priorities: []gloov1.MultiPriority{
			{Pool: []gloov1.MultiBackend{{OpenAI: &gloov1.OpenAI{AuthToken: ref("a", "")}}, {Mistral: &gloov1.Mistral{AuthToken: ref("b", "team-x")}}}},
			{Pool: []gloov1.MultiBackend{{OpenAI: &gloov1.OpenAI{AuthToken: ref("a", "gloo-system")}}}},
			{Pool: []gloov1.MultiBackend{{Anthropic: &gloov1.Anthropic{AuthToken: &gloov1.SingleAuthToken{Inline: &inline}}}, {Gemini: &gloov1.Gemini{}}}},
		}}}},
	}
	require.Equal(t, []types.NamespacedName{
		{Namespace: "gloo-system", Name: "a"},
		{Namespace: "team-x", Name: "b"},
	}, ReferencedSecrets(us))
}
