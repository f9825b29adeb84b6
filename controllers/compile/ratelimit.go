package compile

import (
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	ratelimitv1alpha1 "github.com/claimgate/claimgate/api/ratelimit/v1alpha1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// jwtMetadataKey is the metadata namespace of Envoy's JWT filter, whose "principal" is
// the verified token's claims.
const jwtMetadataKey = "envoy.filters.http.jwt_authn"

// sourceCluster is the value of a sourceCluster action: the service cluster of every
// claimgate proxy.
const sourceCluster = "claimgate-proxy"

// rlcIR is a compiled RateLimitConfig. policy is nil when it is rejected.
type rlcIR struct {
	obj      *ratelimitv1alpha1.RateLimitConfig
	policy   *snapshotv1.RateLimitPolicy
	problems []string
	ignored  []string
}

func (r *rlcIR) status() ratelimitv1alpha1.RateLimitConfigStatus {
	st := ratelimitv1alpha1.RateLimitConfigStatus{State: ratelimitv1alpha1.StateAccepted, ObservedGeneration: r.obj.Generation}
	if r.policy == nil {
		st.State = ratelimitv1alpha1.StateRejected
		st.Message = "rejected, so the routes it applies to answer 500: " + strings.Join(r.problems, "; ")
	}
	if len(r.ignored) > 0 {
		if st.Message != "" {
			st.Message += "; "
		}
		st.Message += "ignored, as claimgate does not have them: " + strings.Join(r.ignored, ", ")
	}
	return st
}

// compileRateLimitConfigs compiles every RateLimitConfig and records its status.
func (c *compiler) compileRateLimitConfigs() {
	for _, o := range c.idx.sortedRLCs {
		ir := compileRLC(o)
		c.rlcs[nsName(o)] = ir
		c.res.RateLimitConfigs[nsName(o)] = ir.status()
	}
}

// rlcCompiler gathers the problems of one RateLimitConfig.
type rlcCompiler struct{ ir *rlcIR }

func (rc rlcCompiler) bad(path, format string, args ...any) {
	rc.ir.problems = append(rc.ir.problems, path+": "+fmt.Sprintf(format, args...))
}

func compileRLC(o *ratelimitv1alpha1.RateLimitConfig) *rlcIR {
	ir := &rlcIR{obj: o, ignored: append([]string(nil), o.Spec.Unknown...)}
	rc := rlcCompiler{ir: ir}
	p := &snapshotv1.RateLimitPolicy{Name: o.Namespace + "/" + o.Name}
	raw := o.Spec.Raw
	if raw == nil {
		rc.bad("spec.raw", "is required")
		return ir
	}
	p.StopStreams = rc.optIn(o, ratelimitv1alpha1.AnnotationStopStreams)
	p.ReserveMaxTokens = rc.optIn(o, ratelimitv1alpha1.AnnotationReserveMaxTokens)
	for i, d := range raw.Descriptors {
		p.Descriptors = append(p.Descriptors, rc.descriptor(fmt.Sprintf("spec.raw.descriptors[%d]", i), d, 1))
	}
	for i, sd := range raw.SetDescriptors {
		p.SetDescriptors = append(p.SetDescriptors, rc.setDescriptor(fmt.Sprintf("spec.raw.setDescriptors[%d]", i), sd))
	}
	for i, rl := range raw.RateLimits {
		path := fmt.Sprintf("spec.raw.rateLimits[%d]", i)
		if rl.Limit != nil {
			ir.ignored = append(ir.ignored, path+".limit")
		}
		for j, list := range [][]ratelimitv1alpha1.Action{rl.Actions, rl.SetActions} {
			if len(list) == 0 {
				continue
			}
			field := [...]string{"actions", "setActions"}[j]
			acts := &snapshotv1.RateLimitActions{SetStyle: j == 1}
			for k, a := range list {
				acts.Actions = append(acts.Actions, rc.action(fmt.Sprintf("%s.%s[%d]", path, field, k), a))
			}
			p.Actions = append(p.Actions, acts)
		}
	}
	if len(ir.problems) == 0 {
		ir.policy = p
	}
	return ir
}

// optIn reads one of claimgate's boolean annotations on o: absent is false.
func (rc rlcCompiler) optIn(o *ratelimitv1alpha1.RateLimitConfig, name string) bool {
	v, ok := o.Annotations[name]
	switch {
	case !ok || v == "false":
		return false
	case v == "true":
		return true
	}
	rc.bad("metadata.annotations["+name+"]", "must be \"true\" or \"false\", not %q", v)
	return false
}

// maxDescriptorDepth bounds the descriptor tree: the proxy walks it per request.
const maxDescriptorDepth = 16

func (rc rlcCompiler) descriptor(path string, d ratelimitv1alpha1.Descriptor, depth int) *snapshotv1.RateLimitDescriptor {
	if d.Key == "" {
		rc.bad(path+".key", "is required")
	}
	if depth > maxDescriptorDepth {
		rc.bad(path, "descriptors nest deeper than %d", maxDescriptorDepth)
		return &snapshotv1.RateLimitDescriptor{Key: d.Key}
	}
	out := &snapshotv1.RateLimitDescriptor{Key: d.Key, Value: d.Value, Weight: uint32(min(max(d.Weight, 0), 1<<32-1)), AlwaysApply: d.AlwaysApply}
	if d.RateLimit != nil {
		out.Limit = rc.limit(path+".rateLimit", d.RateLimit)
	}
	for i, child := range d.Descriptors {
		out.Descriptors = append(out.Descriptors, rc.descriptor(fmt.Sprintf("%s.descriptors[%d]", path, i), child, depth+1))
	}
	return out
}

func (rc rlcCompiler) setDescriptor(path string, sd ratelimitv1alpha1.SetDescriptor) *snapshotv1.RateLimitSetDescriptor {
	out := &snapshotv1.RateLimitSetDescriptor{AlwaysApply: sd.AlwaysApply}
	if len(sd.SimpleDescriptors) == 0 {
		rc.bad(path+".simpleDescriptors", "is required")
	}
	for i, s := range sd.SimpleDescriptors {
		if s.Key == "" {
			rc.bad(fmt.Sprintf("%s.simpleDescriptors[%d].key", path, i), "is required")
		}
		out.Entries = append(out.Entries, &snapshotv1.RateLimitEntry{Key: s.Key, Value: s.Value})
	}
	if sd.RateLimit == nil {
		rc.bad(path+".rateLimit", "is required")
	} else {
		out.Limit = rc.limit(path+".rateLimit", sd.RateLimit)
	}
	return out
}

// rateLimitUnits are Gloo's units by name and number.
var rateLimitUnits = map[string]snapshotv1.RateLimitUnit{
	"SECOND": snapshotv1.RateLimitUnit_SECOND, "1": snapshotv1.RateLimitUnit_SECOND,
	"MINUTE": snapshotv1.RateLimitUnit_MINUTE, "2": snapshotv1.RateLimitUnit_MINUTE,
	"HOUR": snapshotv1.RateLimitUnit_HOUR, "3": snapshotv1.RateLimitUnit_HOUR,
	"DAY": snapshotv1.RateLimitUnit_DAY, "4": snapshotv1.RateLimitUnit_DAY,
}

func (rc rlcCompiler) limit(path string, l *ratelimitv1alpha1.RateLimit) *snapshotv1.RateLimit {
	var u snapshotv1.RateLimitUnit
	if l.Unit == nil {
		rc.bad(path+".unit", "is required: SECOND, MINUTE, HOUR or DAY (1-4)")
	} else if v, ok := rateLimitUnits[l.Unit.String()]; ok {
		u = v
	} else {
		rc.bad(path+".unit", "%q is not SECOND, MINUTE, HOUR or DAY (1-4)", l.Unit.String())
	}
	return &snapshotv1.RateLimit{Unit: u, RequestsPerUnit: uint32(min(max(l.RequestsPerUnit, 0), 1<<32-1))}
}

// action compiles one action; exactly one kind must be set.
func (rc rlcCompiler) action(path string, a ratelimitv1alpha1.Action) *snapshotv1.RateLimitAction {
	set := countTrue(a.SourceCluster != nil, a.DestinationCluster != nil, a.RequestHeaders != nil, a.RemoteAddress != nil,
		a.GenericKey != nil, a.HeaderValueMatch != nil, a.Metadata != nil)
	if set != 1 {
		rc.bad(path, "set exactly one of sourceCluster, destinationCluster, requestHeaders, remoteAddress, genericKey, headerValueMatch or metadata (%d are set)", set)
		return &snapshotv1.RateLimitAction{}
	}
	switch {
	case a.SourceCluster != nil:
		// Envoy's service cluster; every claimgate proxy has the same one.
		return constantAction("source_cluster", sourceCluster)
	case a.DestinationCluster != nil:
		return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_DestinationCluster{DestinationCluster: &snapshotv1.DestinationClusterAction{}}}
	case a.RequestHeaders != nil:
		h := a.RequestHeaders
		if h.HeaderName == "" || h.DescriptorKey == "" {
			rc.bad(path+".requestHeaders", "headerName and descriptorKey are required")
		}
		return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RequestHeader{RequestHeader: &snapshotv1.RequestHeaderAction{HeaderName: h.HeaderName, DescriptorKey: h.DescriptorKey}}}
	case a.RemoteAddress != nil:
		return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{RemoteAddress: &snapshotv1.RemoteAddressAction{}}}
	case a.GenericKey != nil:
		if a.GenericKey.DescriptorValue == "" {
			rc.bad(path+".genericKey.descriptorValue", "is required")
		}
		return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_GenericKey{GenericKey: &snapshotv1.GenericKeyAction{DescriptorValue: a.GenericKey.DescriptorValue}}}
	case a.HeaderValueMatch != nil:
		return rc.headerValueMatch(path+".headerValueMatch", a.HeaderValueMatch)
	default:
		return rc.metadata(path+".metadata", a.Metadata)
	}
}

func constantAction(key, value string) *snapshotv1.RateLimitAction {
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_Constant{Constant: &snapshotv1.RateLimitEntry{Key: key, Value: value}}}
}

func countTrue(v ...bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}

func (rc rlcCompiler) headerValueMatch(path string, m *ratelimitv1alpha1.HeaderValueMatch) *snapshotv1.RateLimitAction {
	out := &snapshotv1.HeaderValueMatchAction{DescriptorValue: m.DescriptorValue, ExpectMatch: m.ExpectMatch == nil || *m.ExpectMatch}
	if m.DescriptorValue == "" {
		rc.bad(path+".descriptorValue", "is required")
	}
	if len(m.Headers) == 0 {
		rc.bad(path+".headers", "is required")
	}
	for i, h := range m.Headers {
		out.Headers = append(out.Headers, rc.headerMatcher(fmt.Sprintf("%s.headers[%d]", path, i), h))
	}
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_HeaderValueMatch{HeaderValueMatch: out}}
}

func (rc rlcCompiler) headerMatcher(path string, h ratelimitv1alpha1.HeaderMatcher) *snapshotv1.RateLimitHeaderMatcher {
	out := &snapshotv1.RateLimitHeaderMatcher{Name: h.Name, Invert: h.InvertMatch}
	if h.Name == "" {
		rc.bad(path+".name", "is required")
	}
	if n := countTrue(h.ExactMatch != nil, h.RegexMatch != nil, h.RangeMatch != nil, h.PresentMatch != nil, h.PrefixMatch != nil, h.SuffixMatch != nil); n != 1 {
		rc.bad(path, "set exactly one of exactMatch, regexMatch, rangeMatch, presentMatch, prefixMatch or suffixMatch (%d are set)", n)
		return out
	}
	switch {
	case h.ExactMatch != nil:
		out.Match = &snapshotv1.RateLimitHeaderMatcher_Exact{Exact: *h.ExactMatch}
	case h.RegexMatch != nil:
		if _, err := regexp.Compile(*h.RegexMatch); err != nil {
			rc.bad(path+".regexMatch", "%q is not an RE2 expression: %v", *h.RegexMatch, err)
		}
		out.Match = &snapshotv1.RateLimitHeaderMatcher_Regex{Regex: *h.RegexMatch}
	case h.RangeMatch != nil:
		if h.RangeMatch.Start >= h.RangeMatch.End {
			rc.bad(path+".rangeMatch", "start %d is not below end %d", h.RangeMatch.Start, h.RangeMatch.End)
		}
		out.Match = &snapshotv1.RateLimitHeaderMatcher_Range{Range: &snapshotv1.Int64Range{Start: h.RangeMatch.Start, End: h.RangeMatch.End}}
	case h.PresentMatch != nil:
		out.Match = &snapshotv1.RateLimitHeaderMatcher_Present{Present: *h.PresentMatch}
	case h.PrefixMatch != nil:
		out.Match = &snapshotv1.RateLimitHeaderMatcher_Prefix{Prefix: *h.PrefixMatch}
	default:
		out.Match = &snapshotv1.RateLimitHeaderMatcher_Suffix{Suffix: *h.SuffixMatch}
	}
	return out
}

// metadata compiles a metadata action: envoy.filters.http.jwt_authn's principal is the
// verified JWT's claims; any other metadata has no value here, so it yields its default
// (or drops the descriptor, as Envoy does without a value).
func (rc rlcCompiler) metadata(path string, m *ratelimitv1alpha1.MetaData) *snapshotv1.RateLimitAction {
	if m.DescriptorKey == "" {
		rc.bad(path+".descriptorKey", "is required")
	}
	if m.MetadataKey == nil || m.MetadataKey.Key == "" || len(m.MetadataKey.Path) == 0 {
		rc.bad(path+".metadataKey", "key and path are required")
		return &snapshotv1.RateLimitAction{}
	}
	if m.Source != nil && m.Source.String() != "DYNAMIC" && m.Source.String() != "0" {
		rc.ir.ignored = append(rc.ir.ignored, path+".source "+m.Source.String()+" (route metadata: none here)")
		return rc.noValue(m)
	}
	keys := make([]string, 0, len(m.MetadataKey.Path))
	for _, seg := range m.MetadataKey.Path {
		keys = append(keys, seg.Key)
	}
	if m.MetadataKey.Key != jwtMetadataKey || keys[0] != "principal" || len(keys) < 2 {
		return rc.noValue(m)
	}
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_Claim{Claim: &snapshotv1.ClaimAction{
		DescriptorKey: m.DescriptorKey, Path: keys[1:], DefaultValue: m.DefaultValue,
	}}}
}

// noValue is a metadata action whose metadata the proxy never has.
func (rc rlcCompiler) noValue(m *ratelimitv1alpha1.MetaData) *snapshotv1.RateLimitAction {
	// A claim path that no token has: the default, or nothing.
	return &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_Claim{Claim: &snapshotv1.ClaimAction{
		DescriptorKey: m.DescriptorKey, DefaultValue: m.DefaultValue,
	}}}
}

// routeRateLimits resolves the RateLimitConfigs a route's options name, or the reason
// the route must stay closed (one is missing or rejected).
func (c *compiler) routeRateLimits(refs []rlcRef, tokens bool) (*snapshotv1.RateLimits, string) {
	if len(refs) == 0 {
		return nil, ""
	}
	out := &snapshotv1.RateLimits{}
	for _, r := range refs {
		ir := c.rlcs[r.key]
		switch {
		case ir == nil:
			return nil, fmt.Sprintf("route uses RateLimitConfig %s, which does not exist", r.key)
		case ir.policy == nil:
			return nil, fmt.Sprintf("route uses RateLimitConfig %s, which is rejected: see its status", r.key)
		}
		p := ir.policy
		if tokens {
			p = cloneWithTokens(p)
		}
		if r.early {
			out.Early = append(out.Early, p)
		} else {
			out.Regular = append(out.Regular, p)
		}
	}
	return out, ""
}

// rlcRef is a RateLimitConfig a route uses, and its stage.
type rlcRef struct {
	key   types.NamespacedName
	early bool
}

// The rate-limit options, in the order of rateLimitRefs.
var rateLimitFields = [3]string{"options.rateLimitEarlyConfigs", "options.rateLimitConfigs", "options.rateLimitRegularConfigs"}

// rateLimitRefs resolves against ns the RateLimitConfigs of an option's
// rateLimitEarlyConfigs, rateLimitConfigs and rateLimitRegularConfigs, in that order.
func rateLimitRefs(ns string, fields ...*gatewayv1.RateLimitConfigRefs) [3][]rlcRef {
	var out [3][]rlcRef
	for i, refs := range fields {
		if refs == nil {
			continue
		}
		for _, r := range refs.Refs {
			key := types.NamespacedName{Namespace: r.Namespace, Name: r.Name}
			if key.Namespace == "" {
				key.Namespace = ns
			}
			out[i] = append(out[i], rlcRef{key: key, early: i == 0})
		}
	}
	return out
}

// cloneWithTokens is p counting LLM tokens.
func cloneWithTokens(p *snapshotv1.RateLimitPolicy) *snapshotv1.RateLimitPolicy {
	out := proto.CloneOf(p)
	out.Tokens = true
	return out
}

// checkRateLimitRefs reports, as unresolved references of the option, the
// RateLimitConfigs it names that do not exist or are rejected: the routes it applies to
// answer 500 until they are usable.
func (c *compiler) checkRateLimitRefs(state *policyState, fields [3][]rlcRef) {
	for i, refs := range fields {
		for _, r := range refs {
			switch ir := c.rlcs[r.key]; {
			case ir == nil:
				state.unresolved.add(gatewayv1.ReasonRefNotFound, fmt.Sprintf("%s: RateLimitConfig %s not found; the routes this option applies to answer 500 until it exists", rateLimitFields[i], r.key))
			case ir.policy == nil:
				state.unresolved.add(gatewayv1.ReasonInvalid, fmt.Sprintf("%s: RateLimitConfig %s is rejected (see its status); the routes this option applies to answer 500 until it is fixed", rateLimitFields[i], r.key))
			}
		}
	}
}
