package v1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// MultiPool is Gloo's ai.multi: LLM providers by priority. A request goes to the first
// priority with a provider that is not failing; a route's retries with
// previousPriorities move to the next priority.
type MultiPool struct {
	// priorities are tried in order: the first is preferred, each next one takes over
	// when the ones before it fail.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Priorities []MultiPriority `json:"priorities"`
}

// MultiPriority is one priority of a failover pool (Gloo's MultiPool.Priority).
type MultiPriority struct {
	// pool are the providers of this priority; requests are spread across them in turn.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Pool []MultiBackend `json:"pool"`
}

// MultiBackend is one provider of a failover pool (Gloo's MultiPool.Backend): exactly
// one provider, configured as the same provider is in spec.ai.
// +kubebuilder:validation:XValidation:rule="[has(self.openai), has(self.mistral), has(self.anthropic), has(self.azureOpenai), has(self.gemini), has(self.vertexAi), has(self.bedrock)].filter(x, x).size() == 1",message="each pool entry of ai.multi.priorities[].pool[] names exactly one provider: set one of openai, mistral, anthropic, azureOpenai, gemini, vertexAi or bedrock, and split the others into entries of their own"
type MultiBackend struct {
	// openai is OpenAI (api.openai.com); the key goes in Authorization: Bearer.
	// +optional
	OpenAI *OpenAI `json:"openai,omitempty"`
	// mistral is Mistral AI (api.mistral.ai); the key goes in Authorization: Bearer.
	// +optional
	Mistral *Mistral `json:"mistral,omitempty"`
	// anthropic is Anthropic (api.anthropic.com); the key goes in x-api-key.
	// +optional
	Anthropic *Anthropic `json:"anthropic,omitempty"`
	// azureOpenai is Azure OpenAI; the key goes in api-key.
	// +optional
	AzureOpenAI *AzureOpenAI `json:"azureOpenai,omitempty"`
	// gemini is Google Gemini (generativelanguage.googleapis.com); the key goes in
	// x-goog-api-key.
	// +optional
	Gemini *Gemini `json:"gemini,omitempty"`
	// vertexAi is Gloo's vertexAi (Google Vertex AI). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	VertexAI *apiextensionsv1.JSON `json:"vertexAi,omitempty"`
	// bedrock is Gloo's bedrock (AWS Bedrock). claimgate does not implement it: it is kept
	// as written and the Upstream's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Bedrock *apiextensionsv1.JSON `json:"bedrock,omitempty"`
}
