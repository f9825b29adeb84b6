package compile

import (
	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// rAI is the merge group of a RouteOption's ai option.
var rAI = routeFields.groupOf("ai")

// aiRequest compiles the members of a RouteOption's ai option that shape the request
// body (promptEnrichment, defaults); nil when it sets neither. routeType is only
// checked: the proxy tells a streamed answer by its content type, so it changes nothing
// (its status says so).
func (oc optionCompiler) aiRequest(a *gatewayv1.AIRouteSettings) *snapshotv1.AiRequest {
	if a == nil {
		return nil
	}
	switch a.RouteType {
	case "", gatewayv1.RouteTypeChat, gatewayv1.RouteTypeChatStreaming:
	default:
		oc.invalid("ai.routeType", "%q is neither CHAT (0) nor CHAT_STREAMING (1)", string(a.RouteType))
		return nil
	}
	if a.PromptEnrichment == nil && len(a.Defaults) == 0 {
		return nil
	}
	out := &snapshotv1.AiRequest{}
	if pe := a.PromptEnrichment; pe != nil {
		out.Prepend = aiMessages(pe.Prepend)
		out.Append = aiMessages(pe.Append)
	}
	for i, d := range a.Defaults {
		if d.Value == nil || len(d.Value.Raw) == 0 {
			oc.invalid("ai.defaults", "defaults[%d] (%s) has no value", i, d.Field)
			return nil
		}
		out.Defaults = append(out.Defaults, &snapshotv1.AiFieldDefault{Field: d.Field, ValueJson: string(d.Value.Raw), Override: d.Override})
	}
	return out
}

func aiMessages(in []gatewayv1.AIMessage) []*snapshotv1.AiMessage {
	out := make([]*snapshotv1.AiMessage, 0, len(in))
	for _, m := range in {
		out = append(out, &snapshotv1.AiMessage{Role: m.Role, Content: m.Content})
	}
	return out
}

// effectiveAiRequest is the AI request shaping of a route whose backends are all LLM
// providers, from its RouteOption; nil elsewhere (the option's status says why).
func effectiveAiRequest(ro *routeOptions, ups []*snapshotv1.Upstream) *snapshotv1.AiRequest {
	a := ro.get(rAI)
	if a == nil || a.opt.features == nil || !allLLM(ups) {
		return nil
	}
	return a.opt.features.ai
}
