package v1

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Gloo's CRDs write a protobuf enum as its name or as its number; claimgate's enum types
// accept both and hold the name.

// unmarshalEnum decodes an enum written as a name or a number into its name; a number
// that names no value is kept as written, for validation to report.
func unmarshalEnum(data []byte, names []string) (string, error) {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		return s, nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return "", fmt.Errorf("an enum is a name or a number, not %s", data)
	}
	if n >= 0 && n < int64(len(names)) {
		return names[n], nil
	}
	return strconv.FormatInt(n, 10), nil
}

var validationPolicyNames = []string{string(RequireValid), string(AllowMissing), string(AllowMissingOrFailed)}

// UnmarshalJSON accepts the policy's name or its number (REQUIRE_VALID is 0).
func (p *ValidationPolicy) UnmarshalJSON(data []byte) error {
	s, err := unmarshalEnum(data, validationPolicyNames)
	*p = ValidationPolicy(s)
	return err
}

var claimMatcherNames = []string{string(ExactString), string(Boolean), string(ListContains), string(RegexMatch)}

// UnmarshalJSON accepts the matcher's name or its number (EXACT_STRING is 0).
func (m *ClaimMatcher) UnmarshalJSON(data []byte) error {
	s, err := unmarshalEnum(data, claimMatcherNames)
	*m = ClaimMatcher(s)
	return err
}

// Duration is a duration as Gloo writes it: "15s", "1.5s", "100ms", "1m30s".
// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
// +kubebuilder:validation:MaxLength=64
type Duration string

// Parse returns the duration; the schema has already refused what it cannot parse.
func (d Duration) Parse() (time.Duration, error) {
	v, err := time.ParseDuration(string(d))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 15s or 1.5s", string(d))
	}
	return v, nil
}
