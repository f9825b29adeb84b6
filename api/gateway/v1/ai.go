package v1

import apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

// AIRouteSettings is a RouteOption's ai option: how requests to an AI Upstream are
// shaped before they reach the provider and how prompts and answers are guarded.
// promptEnrichment, defaults, routeType and promptGuard are in effect (promptGuard in
// part); the other members are kept as written and the option's status names them.
type AIRouteSettings struct {
	// promptEnrichment adds messages before and after the client's.
	// +optional
	PromptEnrichment *AIPromptEnrichment `json:"promptEnrichment,omitempty"`
	// promptGuard checks prompts before they reach the provider and answers before
	// they reach the client: regex and customResponse are in effect; webhook and
	// moderation are compiled and named in the option's status.
	// +optional
	PromptGuard *AIPromptGuard `json:"promptGuard,omitempty"`
	// rag is Gloo's retrieval augmented generation. claimgate does not implement it:
	// it is kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Rag *apiextensionsv1.JSON `json:"rag,omitempty"`
	// semanticCache is Gloo's semantic cache. claimgate does not implement it: it is
	// kept as written and the option's status names it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	SemanticCache *apiextensionsv1.JSON `json:"semanticCache,omitempty"`
	// defaults set top-level fields of the request body: when the client left them
	// out, or always with override.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Defaults []AIFieldDefault `json:"defaults,omitempty"`
	// routeType is CHAT or CHAT_STREAMING (or 0, 1); claimgate tells streamed answers
	// from the request itself, so both behave alike.
	// +optional
	RouteType AIRouteType `json:"routeType,omitempty"`
}

// AIPromptEnrichment lists the messages added to every prompt.
type AIPromptEnrichment struct {
	// prepend are put before the client's messages, in order.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Prepend []AIMessage `json:"prepend,omitempty"`
	// append are put after the client's messages, in order.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Append []AIMessage `json:"append,omitempty"`
}

// AIMessage is one chat message.
type AIMessage struct {
	// role is the message's role, such as system, user or assistant.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Role string `json:"role"`
	// content is the message's text.
	// +required
	// +kubebuilder:validation:MaxLength=32768
	Content string `json:"content"`
}

// AIFieldDefault is a default for one top-level field of the request body.
type AIFieldDefault struct {
	// field is the name of the top-level field, such as temperature or max_tokens.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Field string `json:"field"`
	// value is the field's value, any JSON value.
	// +required
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Value *apiextensionsv1.JSON `json:"value"`
	// override sets the field even when the client set it.
	// +optional
	Override bool `json:"override,omitempty"`
}

// AIRouteType is the kind of provider API a route serves, by name or by number (0, 1).
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 1 : self in ['CHAT', 'CHAT_STREAMING']",message="ai.routeType: must be CHAT or CHAT_STREAMING (or 0, 1)"
type AIRouteType string

// The route types.
const (
	// RouteTypeChat: the provider answers with the whole response (the default).
	RouteTypeChat AIRouteType = "CHAT"
	// RouteTypeChatStreaming: the provider streams its answer.
	RouteTypeChatStreaming AIRouteType = "CHAT_STREAMING"
)

var aiRouteTypeNames = []string{string(RouteTypeChat), string(RouteTypeChatStreaming)}

// UnmarshalJSON accepts the route type's name or its number (CHAT is 0).
func (t *AIRouteType) UnmarshalJSON(data []byte) error {
	s, err := unmarshalEnum(data, aiRouteTypeNames)
	*t = AIRouteType(s)
	return err
}
