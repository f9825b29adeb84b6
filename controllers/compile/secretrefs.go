package compile

import (
	"slices"

	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
)

// ReferencedSecrets names the Secrets obj refers to, which the compiler looks up in
// Inputs.Secrets when it compiles obj: for a RouteOption, the Secret its prompt
// guard's moderation authToken names; for an Upstream, the Secrets its AI providers'
// authTokens name (every member of a failover pool's) and the one its sslConfig.secretRef names; for a Gateway, those its listeners' certificateRefs name (core
// Secrets only), in spec order. Whether obj may read them (ReferenceGrants) is decided
// in the compile. Other objects refer to no Secret.
func ReferencedSecrets(obj any) []types.NamespacedName {
	switch o := obj.(type) {
	case *gloov1.Upstream:
		var out []types.NamespacedName
		toks := []*gloov1.SingleAuthToken{aiAuthToken(o.Spec.AI)}
		if ai := o.Spec.AI; ai != nil && ai.Multi != nil {
			toks = multiAuthTokens(ai.Multi)
		}
		for _, tok := range toks {
			if tok == nil {
				continue
			}
			if key, ok := authTokenSecret(o.Namespace, *tok); ok && !slices.Contains(out, key) {
				out = append(out, key)
			}
		}
		if key, ok := sslSecretKey(o); ok {
			out = append(out, key)
		}
		return out
	case *gatewayv1.RouteOption:
		if key, ok := moderationSecret(o); ok {
			return []types.NamespacedName{key}
		}
		return nil
	case *gwv1.Gateway:
		var out []types.NamespacedName
		for _, l := range o.Spec.Listeners {
			if l.TLS == nil {
				continue
			}
			for _, ref := range l.TLS.CertificateRefs {
				if key, ok := certificateSecret(o, ref); ok {
					out = append(out, key)
				}
			}
		}
		return out
	}
	return nil
}

// aiAuthToken is the authToken of the provider spec.ai names (the first set, as the
// compile takes it), or nil.
func aiAuthToken(ai *gloov1.AIUpstream) *gloov1.SingleAuthToken {
	switch {
	case ai == nil:
		return nil
	case ai.OpenAI != nil:
		return ai.OpenAI.AuthToken
	case ai.Mistral != nil:
		return ai.Mistral.AuthToken
	case ai.Anthropic != nil:
		return ai.Anthropic.AuthToken
	case ai.AzureOpenAI != nil:
		return ai.AzureOpenAI.AuthToken
	case ai.Gemini != nil:
		return ai.Gemini.AuthToken
	}
	return nil
}

// authTokenSecret names the Secret the authToken of an Upstream in namespace ns reads;
// false when it names none.
func authTokenSecret(ns string, tok gloov1.SingleAuthToken) (types.NamespacedName, bool) {
	if tok.SecretRef == nil {
		return types.NamespacedName{}, false
	}
	key := types.NamespacedName{Namespace: tok.SecretRef.Namespace, Name: tok.SecretRef.Name}
	if key.Namespace == "" {
		key.Namespace = ns
	}
	return key, true
}

// certificateSecret names the Secret a certificateRef of gw's listeners refers to;
// false when it refers to another kind than core Secret.
func certificateSecret(gw *gwv1.Gateway, ref gwv1.SecretObjectReference) (types.NamespacedName, bool) {
	if (ref.Group != nil && *ref.Group != groupCore) || (ref.Kind != nil && *ref.Kind != kindSecret) {
		return types.NamespacedName{}, false
	}
	key := types.NamespacedName{Namespace: gw.Namespace, Name: string(ref.Name)}
	if ref.Namespace != nil {
		key.Namespace = string(*ref.Namespace)
	}
	return key, true
}
