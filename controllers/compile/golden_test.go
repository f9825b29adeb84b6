package compile

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out.yaml from the compiler's output")

// TestGolden compiles each testdata/<case>.in.yaml and compares the snapshots and
// statuses with testdata/<case>.out.yaml, and requires the encodings handed to proxies
// to be those snapshots.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, in := range cases {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			inputs := loadInputs(t, in)
			res := Compile(inputs)
			requireEncodedMatchesSnapshots(t, res)
			got := renderResult(t, res)
			out := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
			if *update {
				require.NoError(t, os.WriteFile(out, got, 0o644))
				return
			}
			want, err := os.ReadFile(out)
			require.NoError(t, err, "run go test ./controllers/compile -update to create it")
			require.Equal(t, string(want), string(got))
		})
	}
}

// loadInputs decodes a multi-document Kubernetes YAML file into Inputs by
// apiVersion/kind, adding the GatewayClass claimgate of our controller unless the
// file defines one.
func loadInputs(t testing.TB, path string) Inputs {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	in, err := DecodeInputs(data)
	require.NoError(t, err, path)
	return in
}

// renderResult writes the snapshots (protobuf JSON as YAML) and then every status,
// sorted, with keys in a stable order and without LastTransitionTime.
func renderResult(t testing.TB, res Result) []byte {
	t.Helper()
	var snaps []any
	for _, key := range sortedKeys(res.Snapshots) {
		// Emit enum zero values by name (PATH_PREFIX, AFTER_EXT_AUTH...) so the file
		// says what the proxy will do; other default values are dropped again below.
		b, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(res.Snapshots[key])
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(b, &v))
		snaps = append(snaps, dropEmpty(v))
	}
	statuses := map[string]any{
		"gatewayClasses":     namedList(res.GatewayClasses, func(k string) string { return k }),
		"gateways":           namedList(res.Gateways, types.NamespacedName.String),
		"httpRoutes":         namedList(maps.Collect(res.HTTPRoutes.All()), types.NamespacedName.String),
		"virtualHostOptions": namedList(res.VirtualHostOptions, types.NamespacedName.String),
		"routeOptions":       namedList(maps.Collect(res.RouteOptions.All()), types.NamespacedName.String),
		"upstreams":          namedList(res.Upstreams, types.NamespacedName.String),
		"rateLimitConfigs":   namedList(res.RateLimitConfigs, types.NamespacedName.String),
	}
	a := toYAML(t, map[string]any{"snapshots": snaps})
	b := toYAML(t, map[string]any{"statuses": statuses})
	return append(a, b...)
}

// namedList turns a status map into a list of {name, status} sorted by name.
func namedList[K comparable, V any](m map[K]V, name func(K) string) []map[string]any {
	out := []map[string]any{}
	for k, v := range m {
		out = append(out, map[string]any{"name": name(k), "status": v})
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["name"].(string), b["name"].(string)) })
	return out
}

func sortedKeys[V any](m map[types.NamespacedName]V) []types.NamespacedName {
	keys := make([]types.NamespacedName, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

func toYAML(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var generic any
	require.NoError(t, json.Unmarshal(b, &generic))
	out, err := yaml.Marshal(stripTransitionTimes(generic))
	require.NoError(t, err)
	return out
}

// dropEmpty removes empty strings, false and empty lists. Zero numbers stay (a weight
// of 0 means something). Empty objects
// stay: they are messages that are set but empty, such as an Rbac with no policies
// (which denies every request).
func dropEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = dropEmpty(e); isEmpty(e) {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
	case []any:
		for i, e := range x {
			x[i] = dropEmpty(e)
		}
	}
	return v
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	}
	return false
}

func stripTransitionTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "lastTransitionTime")
		for k, e := range x {
			x[k] = stripTransitionTimes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = stripTransitionTimes(e)
		}
	}
	return v
}
