package v1alpha1

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func TestUnknownFields(t *testing.T) {
	tests := map[string]struct {
		spec string
		want []string
	}{
		"lab 6 writes default for defaultValue": {
			spec: `
raw:
  descriptors:
  - key: user-id
    rateLimit: {requestsPerUnit: 70, unit: HOUR}
  rateLimits:
  - actions:
    - metadata:
        descriptorKey: user-id
        source: DYNAMIC
        default: unknown
        metadataKey: {key: envoy.filters.http.jwt_authn, path: [{key: principal}, {key: sub}]}`,
			want: []string{"spec.raw.rateLimits[0].actions[0].metadata.default"},
		},
		"nested descriptors and set descriptors": {
			spec: `
raw:
  descriptors:
  - key: a
    descriptors:
    - {key: b, shadowMode: true, rateLimit: {unit: 1, requestsPerUnit: 2, burst: 3}}
  setDescriptors:
  - simpleDescriptors: [{key: c}]
    rateLimit: {unit: MINUTE, requestsPerUnit: 1}
  rateLimits:
  - setActions: [{genericKey: {descriptorValue: x}}, {remoteAddress: {}}]
    limit: {dynamicMetadata: {metadataKey: {key: k, path: [{key: p}]}}}
extra: true`,
			want: []string{"spec.extra", "spec.raw.descriptors[0].descriptors[0].rateLimit.burst", "spec.raw.descriptors[0].descriptors[0].shadowMode"},
		},
		"field names are case-sensitive": {
			spec: `raw: {descriptors: [{Key: a}]}`,
			want: []string{"spec.raw.descriptors[0].Key"},
		},
		"nothing unknown": {spec: `raw: {rateLimits: [{actions: [{requestHeaders: {headerName: x-user, descriptorKey: user}}]}]}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var s RateLimitConfigSpec
			require.NoError(t, yaml.Unmarshal([]byte(tc.spec), &s))
			require.Equal(t, tc.want, s.Unknown)
		})
	}
	var s RateLimitConfigSpec
	require.NoError(t, yaml.Unmarshal([]byte(`raw: {descriptors: [{key: a, rateLimit: {unit: 3, requestsPerUnit: 70}}]}`), &s))
	require.Equal(t, "a", s.Raw.Descriptors[0].Key)
	require.Equal(t, int64(70), s.Raw.Descriptors[0].RateLimit.RequestsPerUnit)
}
