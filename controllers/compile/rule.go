package compile

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// ruleIR is one compiled HTTPRoute rule: everything but the virtual host's options.
type ruleIR struct {
	index   int
	matches []*matchIR
	filters []*snapshotv1.Filter
	// backends and upstreams are the resolved backendRefs; upstreams[i] is the Upstream
	// backends[i] names.
	backends  []*snapshotv1.WeightedBackend
	upstreams []*snapshotv1.Upstream
	timeouts  *snapshotv1.Timeouts
	// deny, when set, answers every request of the rule: something it references
	// could not be resolved, so it fails closed.
	deny *snapshotv1.DirectResponse
	// extRefs are the RouteOptions the rule's ExtensionRef filters name, in filter order.
	extRefs []*rtoIR
	// options are the merged RouteOptions of the rule.
	options routeOptions
}

// matchIR is one match of a rule with its precedence facts.
type matchIR struct {
	index int
	proto *snapshotv1.RouteMatch
	// pathRank is 0 for Exact, 1 for PathPrefix, 2 for RegularExpression.
	pathRank, pathLen, headers, queries int
	method                              bool
}

// denyStatus and denyBody are the answer of a rule that fails closed.
const (
	denyStatus = 500
	denyBody   = "route configuration error: see the HTTPRoute status"
)

func denyResponse() *snapshotv1.DirectResponse {
	return &snapshotv1.DirectResponse{Status: denyStatus, Body: denyBody}
}

// compileRoutes compiles every route with a parentRef to one of our Gateways: its
// attachment to listeners, its rules and the merged RouteOptions of each rule. A route
// whose cache key is unchanged since the Compiler's previous run is reused as is.
func (c *compiler) compileRoutes() {
	for _, r := range c.idx.sortedRoutes {
		if c.routeIsOurs(r) {
			ir := c.compileRoute(r)
			c.routes[ir.key] = ir
			c.addExtRefs(ir)
		}
	}
}

// compileRoute compiles one route of our Gateways, or returns the previous compile of
// it when its cache key is unchanged.
func (c *compiler) compileRoute(r *gwv1.HTTPRoute) *routeIR {
	key := nsName(r)
	prev := c.cache.routes[key]
	var prevKey []objectVersion
	if prev != nil {
		prevKey = prev.cacheKey
	}
	cacheKey := c.routeCacheKey(r, prevKey)
	if prev != nil && cacheKey != nil && slices.Equal(prevKey, cacheKey) {
		prev.obj = r // same version: drop the reference to the previous inputs
		return prev
	}
	ir := &routeIR{obj: r, key: key, created: unixNano(r.CreationTimestamp), cacheKey: cacheKey}
	c.attachRoute(ir)
	for i := range r.Spec.Rules {
		rule := c.compileRule(ir, i, &r.Spec.Rules[i])
		c.mergeRouteOptions(ir, rule)
		ir.rules = append(ir.rules, rule)
		for _, f := range r.Spec.Rules[i].Filters {
			if ref := f.ExtensionRef; ref != nil && ref.Group == groupSolo && ref.Kind == kindRouteOption {
				ir.extRefKeys = append(ir.extRefKeys, types.NamespacedName{Namespace: r.Namespace, Name: string(ref.Name)})
			}
		}
	}
	return ir
}

func (c *compiler) compileRule(ir *routeIR, i int, spec *gwv1.HTTPRouteRule) *ruleIR {
	rule := &ruleIR{index: i}
	rule.matches = compileMatches(ir, rule, spec.Matches)
	c.compileFilters(ir, rule, spec.Filters)
	if !hasRedirect(rule) {
		c.compileBackends(ir, rule, spec.BackendRefs)
	}
	rule.timeouts = compileTimeouts(ir, rule, spec.Timeouts)
	if rule.deny != nil {
		rule.filters, rule.backends, rule.upstreams = nil, nil, nil
	}
	return rule
}

// failRule makes the rule deny every request and records why on the route.
func failRule(rule *ruleIR, list *problems, reason, message string) {
	list.add(reason, fmt.Sprintf("rules[%d]: %s", rule.index, message))
	rule.deny = denyResponse()
}

// compileMatches turns the rule's matches into snapshot matches; a rule without
// matches matches every request (PathPrefix "/").
func compileMatches(ir *routeIR, rule *ruleIR, matches []gwv1.HTTPRouteMatch) []*matchIR {
	if len(matches) == 0 {
		matches = []gwv1.HTTPRouteMatch{{}}
	}
	out := make([]*matchIR, 0, len(matches))
	for j := range matches {
		m := compileMatch(&matches[j])
		m.index = j
		if err := checkMatchRegexes(m.proto); err != nil {
			failRule(rule, &ir.partial, string(gwv1.RouteReasonUnsupportedValue), fmt.Sprintf("matches[%d]: %v; fix the expression", j, err))
		}
		out = append(out, m)
	}
	return out
}

func compileMatch(m *gwv1.HTTPRouteMatch) *matchIR {
	path := &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/"}
	rank := 1
	if m.Path != nil {
		if m.Path.Value != nil {
			path.Value = *m.Path.Value
		}
		if m.Path.Type != nil {
			switch *m.Path.Type {
			case gwv1.PathMatchExact:
				path.Type, rank = snapshotv1.PathMatchType_EXACT, 0
			case gwv1.PathMatchRegularExpression:
				path.Type, rank = snapshotv1.PathMatchType_REGULAR_EXPRESSION, 2
			}
		}
	}
	rm := &snapshotv1.RouteMatch{Path: path}
	for _, h := range m.Headers {
		rm.Headers = append(rm.Headers, valueMatch(string(h.Name), h.Value, h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression))
	}
	for _, q := range m.QueryParams {
		rm.QueryParams = append(rm.QueryParams, valueMatch(string(q.Name), q.Value, q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression))
	}
	if m.Method != nil {
		rm.Method = string(*m.Method)
	}
	return &matchIR{proto: rm, pathRank: rank, pathLen: len(path.Value), headers: len(rm.Headers), queries: len(rm.QueryParams), method: rm.Method != ""}
}

func valueMatch(name, value string, regex bool) *snapshotv1.ValueMatch {
	t := snapshotv1.ValueMatchType_VALUE_EXACT
	if regex {
		t = snapshotv1.ValueMatchType_VALUE_REGULAR_EXPRESSION
	}
	return &snapshotv1.ValueMatch{Name: name, Type: t, Value: value}
}

// checkMatchRegexes compiles every regular expression of a match (RE2).
func checkMatchRegexes(m *snapshotv1.RouteMatch) error {
	if m.Path.Type == snapshotv1.PathMatchType_REGULAR_EXPRESSION {
		if _, err := regexp.Compile(m.Path.Value); err != nil {
			return fmt.Errorf("path regular expression %q does not compile: %w", m.Path.Value, err)
		}
	}
	for _, v := range append(append([]*snapshotv1.ValueMatch{}, m.Headers...), m.QueryParams...) {
		if v.Type != snapshotv1.ValueMatchType_VALUE_REGULAR_EXPRESSION {
			continue
		}
		if _, err := regexp.Compile(v.Value); err != nil {
			return fmt.Errorf("regular expression %q of %s does not compile: %w", v.Value, v.Name, err)
		}
	}
	return nil
}

func compileTimeouts(ir *routeIR, rule *ruleIR, t *gwv1.HTTPRouteTimeouts) *snapshotv1.Timeouts {
	if t == nil {
		return nil
	}
	out := &snapshotv1.Timeouts{}
	for _, f := range []struct {
		name string
		in   *gwv1.Duration
		out  **durationpb.Duration
	}{{"request", t.Request, &out.Request}, {"backendRequest", t.BackendRequest, &out.BackendRequest}} {
		if f.in == nil {
			continue
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(*f.in)))
		if err != nil {
			ir.partial.add(string(gwv1.RouteReasonUnsupportedValue), fmt.Sprintf("rules[%d]: timeouts.%s %q is not a duration; it is ignored", rule.index, f.name, *f.in))
			continue
		}
		*f.out = durationpb.New(d)
	}
	if out.Request == nil && out.BackendRequest == nil {
		return nil
	}
	return out
}

// unixNano orders creation timestamps; an unset one comes first.
func unixNano(t metav1.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}
