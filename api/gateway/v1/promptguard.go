package v1

// AIPromptGuard is Gloo's prompt guard (RouteOption options.ai.promptGuard): checks of
// the prompt before it reaches the provider and of the answer before it reaches the
// client. Field names are Gloo's (ai.proto AIPromptGuard).
type AIPromptGuard struct {
	// request are the guards applied to the client's prompt.
	// +optional
	Request *AIPromptGuardRequest `json:"request,omitempty"`
	// response are the guards applied to the provider's answer.
	// +optional
	Response *AIPromptGuardResponse `json:"response,omitempty"`
}

// AIPromptGuardRequest are the guards of a prompt, run in order: regex, webhook,
// moderation.
type AIPromptGuardRequest struct {
	// customResponse is the answer to a rejected prompt. Absent: status 403 and the
	// message "The request was rejected due to inappropriate content".
	// +optional
	CustomResponse *AIGuardCustomResponse `json:"customResponse,omitempty"`
	// regex rejects or masks text of the prompt matching patterns.
	// +optional
	Regex *AIGuardRegex `json:"regex,omitempty"`
	// webhook sends the prompt to an external guardrail service.
	// +optional
	Webhook *AIGuardWebhook `json:"webhook,omitempty"`
	// moderation sends the prompt to a moderation model, which may reject it.
	// +optional
	Moderation *AIGuardModeration `json:"moderation,omitempty"`
}

// AIPromptGuardResponse are the guards of an answer, run in order: regex, webhook.
type AIPromptGuardResponse struct {
	// regex masks text of the answer matching patterns (its action is not used: answers
	// are always masked).
	// +optional
	Regex *AIGuardRegex `json:"regex,omitempty"`
	// webhook sends the answer to an external guardrail service.
	// +optional
	Webhook *AIGuardWebhook `json:"webhook,omitempty"`
}

// AIGuardCustomResponse is the answer to a rejected prompt.
type AIGuardCustomResponse struct {
	// message is the answer's body. Absent: "The request was rejected due to
	// inappropriate content".
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Message string `json:"message,omitempty"`
	// statusCode is the answer's status. Absent: 403.
	// +optional
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	StatusCode uint32 `json:"statusCode,omitempty"`
}

// AIGuardRegex matches text against patterns and built-in detectors.
type AIGuardRegex struct {
	// matches are RE2 patterns, matched case-insensitively; they and builtins add up.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Matches []AIGuardRegexMatch `json:"matches,omitempty"`
	// builtins are built-in detectors: SSN, CREDIT_CARD, PHONE_NUMBER, EMAIL (or 0-3).
	// +optional
	// +kubebuilder:validation:MaxItems=4
	Builtins []AIGuardBuiltIn `json:"builtins,omitempty"`
	// action is what a match in a prompt does: MASK (0, the default) or REJECT (1).
	// Answers are always masked.
	// +optional
	Action AIGuardAction `json:"action,omitempty"`
}

// AIGuardRegexMatch is one pattern.
type AIGuardRegexMatch struct {
	// pattern is an RE2 regular expression.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Pattern string `json:"pattern"`
	// name names the pattern, for debugging.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name,omitempty"`
}

// AIGuardBuiltIn is a built-in detector, by name or by number (0-3).
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 3 : self in ['SSN', 'CREDIT_CARD', 'PHONE_NUMBER', 'EMAIL']",message="regex.builtins: each must be SSN, CREDIT_CARD, PHONE_NUMBER or EMAIL (or 0-3)"
type AIGuardBuiltIn string

// The built-in detectors, in Gloo's order.
const (
	BuiltInSSN         AIGuardBuiltIn = "SSN"
	BuiltInCreditCard  AIGuardBuiltIn = "CREDIT_CARD"
	BuiltInPhoneNumber AIGuardBuiltIn = "PHONE_NUMBER"
	BuiltInEmail       AIGuardBuiltIn = "EMAIL"
)

var aiGuardBuiltInNames = []string{string(BuiltInSSN), string(BuiltInCreditCard), string(BuiltInPhoneNumber), string(BuiltInEmail)}

// UnmarshalJSON accepts the detector's name or its number (SSN is 0).
func (b *AIGuardBuiltIn) UnmarshalJSON(data []byte) error {
	s, err := unmarshalEnum(data, aiGuardBuiltInNames)
	*b = AIGuardBuiltIn(s)
	return err
}

// AIGuardAction is what a regex match in a prompt does, by name or by number (0, 1).
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 1 : self in ['MASK', 'REJECT']",message="regex.action: must be MASK or REJECT (or 0, 1)"
type AIGuardAction string

// The regex actions.
const (
	GuardActionMask   AIGuardAction = "MASK"
	GuardActionReject AIGuardAction = "REJECT"
)

var aiGuardActionNames = []string{string(GuardActionMask), string(GuardActionReject)}

// UnmarshalJSON accepts the action's name or its number (MASK is 0).
func (a *AIGuardAction) UnmarshalJSON(data []byte) error {
	s, err := unmarshalEnum(data, aiGuardActionNames)
	*a = AIGuardAction(s)
	return err
}

// AIGuardWebhook is an external guardrail service (Gloo's guardrail webhook contract).
type AIGuardWebhook struct {
	// host is the service's DNS name or IP address.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`
	// port is the service's TCP port.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port uint32 `json:"port"`
	// forwardHeaders are the client's headers sent along with the prompt or answer.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	ForwardHeaders []AIGuardHeaderMatch `json:"forwardHeaders,omitempty"`
}

// AIGuardHeaderMatch selects client headers by name.
type AIGuardHeaderMatch struct {
	// key is matched against header names, case-sensitively.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`
	// matchType is EXACT (0, the default), PREFIX, SUFFIX, CONTAINS or REGEX (RE2).
	// +optional
	MatchType AIGuardMatchType `json:"matchType,omitempty"`
}

// AIGuardMatchType is how a header name is matched, by name or by number (0-4).
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 4 : self in ['EXACT', 'PREFIX', 'SUFFIX', 'CONTAINS', 'REGEX']",message="forwardHeaders.matchType: must be EXACT, PREFIX, SUFFIX, CONTAINS or REGEX (or 0-4)"
type AIGuardMatchType string

// The header match types.
const (
	MatchExact    AIGuardMatchType = "EXACT"
	MatchPrefix   AIGuardMatchType = "PREFIX"
	MatchSuffix   AIGuardMatchType = "SUFFIX"
	MatchContains AIGuardMatchType = "CONTAINS"
	MatchRegex    AIGuardMatchType = "REGEX"
)

var aiGuardMatchTypeNames = []string{
	string(MatchExact), string(MatchPrefix), string(MatchSuffix), string(MatchContains), string(MatchRegex),
}

// UnmarshalJSON accepts the match type's name or its number (EXACT is 0).
func (m *AIGuardMatchType) UnmarshalJSON(data []byte) error {
	s, err := unmarshalEnum(data, aiGuardMatchTypeNames)
	*m = AIGuardMatchType(s)
	return err
}

// AIGuardModeration is a moderation model the prompt is checked with.
// +kubebuilder:validation:XValidation:rule="has(self.openai)",message="moderation: set openai"
type AIGuardModeration struct {
	// openai is OpenAI's moderation endpoint.
	// +optional
	OpenAI *AIGuardOpenAIModeration `json:"openai,omitempty"`
}

// AIGuardOpenAIModeration is OpenAI's moderation endpoint.
type AIGuardOpenAIModeration struct {
	// model is the moderation model. Absent: omni-moderation-latest.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Model string `json:"model,omitempty"`
	// authToken is the key the gateway calls the moderation endpoint with, the same
	// shape as an Upstream provider's authToken.
	// +optional
	AuthToken *AIGuardAuthToken `json:"authToken,omitempty"`
}

// AIGuardAuthToken is where a key comes from: exactly one source. It has the shape of
// Upstream's SingleAuthToken (api/gloo/v1), which imports this package.
// +kubebuilder:validation:XValidation:rule="[has(self.inline), has(self.secretRef), has(self.passthrough)].filter(x, x).size() == 1",message="authToken: set exactly one of inline, secretRef or passthrough"
type AIGuardAuthToken struct {
	// inline is the key itself. Prefer secretRef: inline keys are readable by anyone who
	// can read the RouteOption.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Inline *string `json:"inline,omitempty"`
	// secretRef names a Secret whose Authorization entry holds the key, for example
	// "Bearer sk-...".
	// +optional
	SecretRef *AIGuardSecretRef `json:"secretRef,omitempty"`
	// passthrough sends the client's own Authorization header.
	// +optional
	Passthrough *AIGuardPassthrough `json:"passthrough,omitempty"`
}

// AIGuardSecretRef names a Secret.
type AIGuardSecretRef struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the Secret's namespace; the RouteOption's when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// AIGuardPassthrough sends the client's credentials.
type AIGuardPassthrough struct{}
