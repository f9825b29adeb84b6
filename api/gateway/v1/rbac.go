package v1

import (
	"encoding/json"
	"fmt"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// ClaimMatcher is how a claim is compared with its expected value, by name or by number
// (0-3).
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 3 : self in ['EXACT_STRING', 'BOOLEAN', 'LIST_CONTAINS', 'REGEX_MATCH']",message="matcher: must be EXACT_STRING, BOOLEAN, LIST_CONTAINS or REGEX_MATCH (or 0-3)"
type ClaimMatcher string

// The claim matchers.
const (
	// ExactString: the claim is that string (the default).
	ExactString ClaimMatcher = "EXACT_STRING"
	// Boolean: the claim is that boolean.
	Boolean ClaimMatcher = "BOOLEAN"
	// ListContains: the claim is an array holding that string.
	ListContains ClaimMatcher = "LIST_CONTAINS"
	// RegexMatch: the claim is a string matched whole by an RE2 expression.
	RegexMatch ClaimMatcher = "REGEX_MATCH"
)

// Rbac is claim authorization: a request is allowed when any policy matches.
type Rbac struct {
	// disable turns authorization off.
	// +optional
	Disable bool `json:"disable,omitempty"`
	// policies maps a policy name to who it allows. With no policies, every request is
	// denied unless disable is true.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Policies map[string]RbacPolicy `json:"policies,omitempty"`
}

// RbacPolicy allows a request when any principal matches and the permissions match.
type RbacPolicy struct {
	// principals: any may match.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Principals []Principal `json:"principals,omitempty"`
	// permissions restrict which requests the policy allows.
	// +optional
	Permissions *Permissions `json:"permissions,omitempty"`
	// nestedClaimDelimiter, when set, makes claim keys paths split on it
	// ("llms.openai" with "." reaches llms → openai).
	// +optional
	// +kubebuilder:validation:MaxLength=8
	NestedClaimDelimiter string `json:"nestedClaimDelimiter,omitempty"`
}

// Principal is who a policy allows.
type Principal struct {
	// jwtPrincipal matches claims of the verified token.
	// +optional
	JwtPrincipal *JwtPrincipal `json:"jwtPrincipal,omitempty"`
}

// JwtPrincipal matches when every listed claim matches.
type JwtPrincipal struct {
	// claims maps a claim key to its expected value: a string, or for the BOOLEAN
	// matcher a boolean written with or without quotes. Any other value is reported in
	// the policy's status, and the policy then allows no one. The value
	// "{request.model}" (RequestModelClaim, a claimgate extension) expects the model the
	// request asks for, with EXACT_STRING or LIST_CONTAINS.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Claims map[string]apiextensionsv1.JSON `json:"claims,omitempty"`
	// provider, when set, requires the claims to come from the token of the provider of
	// that name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Provider string `json:"provider,omitempty"`
	// matcher is how each claim is compared; EXACT_STRING when unset.
	// +optional
	Matcher ClaimMatcher `json:"matcher,omitempty"`
}

// RequestModelClaim is the jwtPrincipal claim value that stands for the model the
// request asks for: the "model" of its JSON body, or for Gemini's and Azure OpenAI's
// native APIs the model or deployment in its path, as the client sent it (before an
// Upstream's fixed model replaces it). "claims: {llms.openai: "{request.model}"}" with
// LIST_CONTAINS allows a caller only the models its llms.openai claim lists. Gloo
// compares the value literally, so a manifest using it stays valid there and denies.
const RequestModelClaim = "{request.model}"

// Permissions restrict which requests a policy allows: every set part must match.
type Permissions struct {
	// pathPrefix, when set, must be a prefix of the request path.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	PathPrefix string `json:"pathPrefix,omitempty"`
	// methods, when set, must contain the request method.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=32
	Methods []string `json:"methods,omitempty"`
}

// ClaimValueString returns a jwtPrincipal claim value as text: a JSON string as is, a
// JSON boolean as "true" or "false". Anything else is an error.
func ClaimValueString(v apiextensionsv1.JSON) (string, error) {
	var decoded any
	if err := json.Unmarshal(v.Raw, &decoded); err != nil {
		return "", fmt.Errorf("claim value is not valid JSON: %w", err)
	}
	switch d := decoded.(type) {
	case string:
		return d, nil
	case bool:
		return strconv.FormatBool(d), nil
	default:
		return "", fmt.Errorf("claim value %s is neither a string nor a boolean", v.Raw)
	}
}
