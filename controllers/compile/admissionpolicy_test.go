package compile

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
)

// admissionPolicyPath is the chart's ValidatingAdmissionPolicy that warns, at kubectl
// apply, about every option claimgate does not implement. It is written from the
// compiler's own classification, so the two cannot drift apart:
// go test ./controllers/compile -update rewrites it.
var admissionPolicyPath = filepath.Join("..", "..", "charts", "claimgate", "templates", "admissionpolicy.yaml")

// TestAdmissionPolicyMatchesCompiler checks the chart's policy against the compiler's
// classification of options.
func TestAdmissionPolicyMatchesCompiler(t *testing.T) {
	want := admissionPolicy()
	if *update {
		require.NoError(t, os.WriteFile(admissionPolicyPath, []byte(want), 0o600))
	}
	got, err := os.ReadFile(admissionPolicyPath)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "the chart's admission policy is stale: run go test ./controllers/compile -update")
}

// TestEveryOptionIsClassified fails when an options struct gains a field the compiler
// does not classify: a new field must be honored, ignored or refused on purpose.
func TestEveryOptionIsClassified(t *testing.T) {
	for kind, f := range map[string]struct {
		fields  *optionFields
		classes map[string]optionClass
	}{"VirtualHostOption": {vhostFields, vhostOptionClasses}, "RouteOption": {routeFields, routeOptionClasses}} {
		for _, name := range f.fields.names {
			_, ok := f.classes[name]
			require.True(t, ok, "%s options.%s is not classified", kind, name)
		}
		require.Len(t, f.classes, len(f.fields.names), "%s classifies an option it does not have", kind)
	}
	for name, members := range memberClasses {
		top, _, _ := strings.Cut(name, ".")
		i, ok := routeFields.index[top]
		require.True(t, ok, "options.%s has members classified but is no RouteOption option", name)
		got := memberNames(memberPathType(memberType(routeFields, i), name))
		require.ElementsMatch(t, got, slices.Collect(maps.Keys(members)), "options.%s: every member is classified, and only those", name)
	}
}

// memberPathType is the struct type at the dotted path name below t, the type of the
// path's first element.
func memberPathType(t reflect.Type, name string) reflect.Type {
	parts := strings.Split(name, ".")
	for _, m := range parts[1:] {
		f := t.Field(slices.Index(memberNames(t), m)).Type
		if f.Kind() == reflect.Pointer {
			f = f.Elem()
		}
		t = f
	}
	return t
}

// warning is one validation of a policy: expr, or when empty the field at path unset.
type warning struct{ path, message, expr string }

func admissionPolicy() string {
	var b strings.Builder
	b.WriteString(`{{- /* Written by go test ./controllers/compile -update from the compiler's classification of options. */ -}}
{{- if .Values.admissionPolicy.enabled }}
`)
	writePolicy(&b, "virtualhostoption", "gateway.solo.io", "virtualhostoptions", optionWarnings(vhostFields, vhostOptionClasses, "VirtualHostOption"))
	writePolicy(&b, "routeoption", "gateway.solo.io", "routeoptions", optionWarnings(routeFields, routeOptionClasses, "RouteOption"))
	writePolicy(&b, "upstream", "gloo.solo.io", "upstreams", upstreamWarnings())
	writeAnnotationPolicy(&b)
	b.WriteString("{{- end }}\n")
	return b.String()
}

func optionWarnings(fields *optionFields, classes map[string]optionClass, kind string) []warning {
	var out []warning
	for i, name := range fields.names {
		if _, partial := memberClasses[name]; !partial {
			out = appendWarning(out, name, classes[name], kind)
			continue
		}
		out = memberWarnings(out, name, memberType(fields, i), kind)
	}
	return out
}

// memberWarnings appends the warnings of the members of the option (or member) at
// name, of struct type t, that memberClasses lists member by member.
func memberWarnings(out []warning, name string, t reflect.Type, kind string) []warning {
	for _, m := range memberNames(t) {
		path := name + "." + m
		if _, deeper := memberClasses[path]; deeper {
			out = memberWarnings(out, path, memberPathType(t, "x."+m), kind)
			continue
		}
		out = appendWarning(out, path, memberClasses[name][m], kind)
	}
	return out
}

// memberType is the struct type of the options field at position i.
func memberType(fields *optionFields, i int) reflect.Type {
	t := reflect.TypeFor[gatewayv1.RouteOptions]()
	if fields == vhostFields {
		t = reflect.TypeFor[gatewayv1.VirtualHostOptions]()
	}
	f := t.Field(i).Type
	if f.Kind() == reflect.Pointer {
		f = f.Elem()
	}
	return f
}

func appendWarning(out []warning, name string, class optionClass, kind string) []warning {
	switch class {
	case ignored:
		out = append(out, warning{path: "spec.options." + name, message: "options." + name + ": claimgate does not implement it; it changes nothing"})
	case refused:
		out = append(out, warning{path: "spec.options." + name, message: "options." + name + ": " + refusedMessage(kind)})
	}
	return out
}

func upstreamWarnings() []warning {
	var out []warning
	t := reflect.TypeFor[gloov1.UpstreamSpec]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		switch what, kind := unsupportedKinds[name]; {
		case honoredUpstreamFields[name]:
		case kind:
			out = append(out, warning{path: "spec." + name, message: fmt.Sprintf("spec.%s: claimgate does not implement Upstreams of %s; routes to this Upstream answer 500", name, what)})
		default:
			out = append(out, warning{path: "spec." + name, message: "spec." + name + ": claimgate does not implement it; it changes nothing"})
		}
	}
	for _, name := range []string{"vertexAi", "bedrock"} {
		out = append(out, warning{path: "spec.ai." + name, message: "spec.ai." + name + ": claimgate does not implement it yet; routes to this Upstream answer 500"})
		out = append(out, warning{
			path:    "spec.ai.multi",
			message: "spec.ai.multi.priorities[].pool[]." + name + ": claimgate does not implement it yet; routes to this Upstream answer 500",
			expr:    "!has(object.spec.ai) || !has(object.spec.ai.multi) || object.spec.ai.multi.priorities.all(p, p.pool.all(b, !has(b." + name + ")))",
		})
	}
	for _, name := range []string{"sslFiles", "sds"} {
		out = append(out, warning{path: "spec.sslConfig." + name, message: "spec.sslConfig." + name + ": a claimgate proxy reads no certificate files nor secret discovery; name a Secret in sslConfig.secretRef; the Upstream is refused"})
	}
	return out
}

func writePolicy(b *strings.Builder, name, group, resource string, warnings []warning) {
	fmt.Fprintf(b, `---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {{ include "claimgate.fullname" . }}-%[1]s-options
  labels:
    {{- include "claimgate.labels" . | nindent 4 }}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
    - apiGroups: [%[2]s]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [%[3]s]
  validations:
`, name, group, resource)
	for _, w := range warnings {
		expr := w.expr
		if expr == "" {
			expr = hasNot(w.path)
		}
		fmt.Fprintf(b, "  - expression: %q\n    message: %q\n", expr, w.message)
	}
	fmt.Fprintf(b, `---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: {{ include "claimgate.fullname" . }}-%[1]s-options
  labels:
    {{- include "claimgate.labels" . | nindent 4 }}
spec:
  policyName: {{ include "claimgate.fullname" . }}-%[1]s-options
  validationActions: [Warn]
`, name)
}

// writeAnnotationPolicy writes the policy that refuses, at kubectl apply, a
// RateLimitConfig whose claimgate annotations hold anything but "true" or "false" (the
// compiler would reject it, and close its routes).
func writeAnnotationPolicy(b *strings.Builder) {
	b.WriteString(`---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {{ include "claimgate.fullname" . }}-ratelimitconfig-annotations
  labels:
    {{- include "claimgate.labels" . | nindent 4 }}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
    - apiGroups: [ratelimit.solo.io]
      apiVersions: [v1alpha1]
      operations: [CREATE, UPDATE]
      resources: [ratelimitconfigs]
  validations:
`)
	for _, name := range []string{ratelimitv1alpha1.AnnotationStopStreams, ratelimitv1alpha1.AnnotationReserveMaxTokens} {
		expr := fmt.Sprintf("!has(object.metadata.annotations) || !(%[1]q in object.metadata.annotations) || object.metadata.annotations[%[1]q] in ['true', 'false']", name)
		fmt.Fprintf(b, "  - expression: %q\n    message: %q\n", expr, "metadata.annotations["+name+"]: must be \"true\" or \"false\"")
	}
	b.WriteString(`---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: {{ include "claimgate.fullname" . }}-ratelimitconfig-annotations
  labels:
    {{- include "claimgate.labels" . | nindent 4 }}
spec:
  policyName: {{ include "claimgate.fullname" . }}-ratelimitconfig-annotations
  validationActions: [Deny]
`)
}

// hasNot is a CEL expression that holds when the field at path (spec.a.b) is unset.
func hasNot(path string) string {
	parts := strings.Split(path, ".")
	var conds []string
	for i := 1; i < len(parts); i++ {
		conds = append(conds, "!has(object."+strings.Join(parts[:i+1], ".")+")")
	}
	return strings.Join(conds, " || ")
}
