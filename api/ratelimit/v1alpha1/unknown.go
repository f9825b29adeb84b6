package v1alpha1

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	sigsjson "sigs.k8s.io/json"
)

// UnmarshalJSON decodes the spec and records, in Unknown, the path of every field it
// sets that this API does not have (such as metadata.default for defaultValue).
func (s *RateLimitConfigSpec) UnmarshalJSON(data []byte) error {
	type plain RateLimitConfigSpec
	var p plain
	// As the API server's decoder: field names are case-sensitive.
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &p); err != nil {
		return err
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*s = RateLimitConfigSpec(p)
	s.Unknown = unknownFields(raw, reflect.TypeFor[RateLimitConfigSpec](), "spec")
	return nil
}

// maxUnknown bounds how many unknown fields are named.
const maxUnknown = 16

// unknownFields lists the paths in v (decoded JSON) that t has no field for.
func unknownFields(v any, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch val := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct || t == reflect.TypeFor[runtime.RawExtension]() {
			return nil // kept as written
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(val)) {
			ft, ok := fields[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, unknownFields(val[k], ft, path+"."+k)...)
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, e := range val {
			out = append(out, unknownFields(e, t.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
	}
	if len(out) > maxUnknown {
		out = out[:maxUnknown]
	}
	return out
}

// jsonFields maps the JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = t.Field(i).Type
	}
	return out
}
