package compile

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// compileFilters maps the rule's filters to snapshot filters, in order. ExtensionRef
// filters naming a RouteOption become attachments of that option, not filters. A
// filter that cannot be honoured makes the rule deny every request (fail closed), as
// Gateway API requires for filters that cannot be resolved.
func (c *compiler) compileFilters(ir *routeIR, rule *ruleIR, filters []gwv1.HTTPRouteFilter) {
	for j := range filters {
		f := &filters[j]
		switch f.Type {
		case gwv1.HTTPRouteFilterRequestHeaderModifier:
			rule.filters = appendFilter(rule.filters, f.RequestHeaderModifier, func(h *snapshotv1.HeaderModifier) *snapshotv1.Filter {
				return &snapshotv1.Filter{Kind: &snapshotv1.Filter_RequestHeaders{RequestHeaders: h}}
			})
		case gwv1.HTTPRouteFilterResponseHeaderModifier:
			rule.filters = appendFilter(rule.filters, f.ResponseHeaderModifier, func(h *snapshotv1.HeaderModifier) *snapshotv1.Filter {
				return &snapshotv1.Filter{Kind: &snapshotv1.Filter_ResponseHeaders{ResponseHeaders: h}}
			})
		case gwv1.HTTPRouteFilterURLRewrite:
			if f.URLRewrite != nil {
				rule.filters = append(rule.filters, urlRewrite(f.URLRewrite))
			}
		case gwv1.HTTPRouteFilterRequestRedirect:
			if f.RequestRedirect != nil {
				rule.filters = append(rule.filters, requestRedirect(f.RequestRedirect))
			}
		case gwv1.HTTPRouteFilterExtensionRef:
			c.resolveExtensionRef(ir, rule, j, f.ExtensionRef)
		default:
			failRule(rule, &ir.partial, string(gwv1.RouteReasonUnsupportedValue),
				fmt.Sprintf("filters[%d]: filter type %s is not supported, so the rule answers 500; remove the filter", j, f.Type))
		}
	}
}

func appendFilter(out []*snapshotv1.Filter, h *gwv1.HTTPHeaderFilter, wrap func(*snapshotv1.HeaderModifier) *snapshotv1.Filter) []*snapshotv1.Filter {
	if h == nil {
		return out
	}
	m := &snapshotv1.HeaderModifier{Remove: h.Remove}
	for _, s := range h.Set {
		m.Set = append(m.Set, &snapshotv1.Header{Name: string(s.Name), Value: s.Value})
	}
	for _, a := range h.Add {
		m.Add = append(m.Add, &snapshotv1.Header{Name: string(a.Name), Value: a.Value})
	}
	return append(out, wrap(m))
}

func urlRewrite(u *gwv1.HTTPURLRewriteFilter) *snapshotv1.Filter {
	rw := &snapshotv1.URLRewrite{Path: pathModifier(u.Path)}
	if u.Hostname != nil {
		rw.Hostname = string(*u.Hostname)
	}
	return &snapshotv1.Filter{Kind: &snapshotv1.Filter_UrlRewrite{UrlRewrite: rw}}
}

func requestRedirect(r *gwv1.HTTPRequestRedirectFilter) *snapshotv1.Filter {
	rd := &snapshotv1.RequestRedirect{Path: pathModifier(r.Path), StatusCode: 302}
	if r.Scheme != nil {
		rd.Scheme = *r.Scheme
	}
	if r.Hostname != nil {
		rd.Hostname = string(*r.Hostname)
	}
	if r.Port != nil {
		rd.Port = uint32(*r.Port)
	}
	if r.StatusCode != nil {
		rd.StatusCode = uint32(*r.StatusCode)
	}
	return &snapshotv1.Filter{Kind: &snapshotv1.Filter_RequestRedirect{RequestRedirect: rd}}
}

func pathModifier(p *gwv1.HTTPPathModifier) *snapshotv1.PathModifier {
	switch {
	case p == nil:
		return nil
	case p.Type == gwv1.FullPathHTTPPathModifier && p.ReplaceFullPath != nil:
		return &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_FULL_PATH, Value: *p.ReplaceFullPath}
	case p.Type == gwv1.PrefixMatchHTTPPathModifier && p.ReplacePrefixMatch != nil:
		return &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_PREFIX_MATCH, Value: *p.ReplacePrefixMatch}
	default:
		return nil
	}
}

func hasRedirect(rule *ruleIR) bool {
	for _, f := range rule.filters {
		if f.GetRequestRedirect() != nil {
			return true
		}
	}
	return false
}

// resolveExtensionRef attaches the RouteOption an ExtensionRef filter names to the
// rule. A missing RouteOption, or any other kind, makes the rule deny with 500 and the
// route's ResolvedRefs False: the options it would have applied may have been the ones
// protecting it.
func (c *compiler) resolveExtensionRef(ir *routeIR, rule *ruleIR, j int, ref *gwv1.LocalObjectReference) {
	if ref == nil {
		failRule(rule, &ir.resolved, string(gwv1.RouteReasonInvalidKind), fmt.Sprintf("filters[%d]: an ExtensionRef filter needs extensionRef", j))
		return
	}
	if ref.Group != groupSolo || ref.Kind != kindRouteOption {
		failRule(rule, &ir.resolved, string(gwv1.RouteReasonInvalidKind),
			fmt.Sprintf("filters[%d]: ExtensionRef %s/%s %s is not supported, so the rule answers 500; only gateway.solo.io RouteOption is", j, ref.Group, ref.Kind, ref.Name))
		return
	}
	key := types.NamespacedName{Namespace: ir.obj.Namespace, Name: string(ref.Name)}
	opt, ok := c.rtos[key]
	if !ok {
		failRule(rule, &ir.resolved, gatewayv1.ReasonRefNotFound,
			fmt.Sprintf("filters[%d]: ExtensionRef RouteOption %s not found, so the rule answers 500; create it or remove the filter", j, key))
		return
	}
	for _, o := range rule.extRefs {
		if o == opt {
			return
		}
	}
	rule.extRefs = append(rule.extRefs, opt)
}
