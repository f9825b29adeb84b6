package compile

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Gloo's defaults for a rejected prompt and for the moderation model (ai.proto).
const (
	defaultGuardMessage    = "The request was rejected due to inappropriate content"
	defaultGuardStatus     = 403
	defaultModerationModel = "omni-moderation-latest"
)

// aiGuard compiles a RouteOption's ai.promptGuard into the snapshot's AiGuard; nil
// when it sets none or cannot be compiled (the option is then invalid and closes its
// routes). Patterns are checked as RE2 here, so the proxy never meets a bad one.
// A moderation key in a Secret is resolved afterwards (resolveGuardSecret).
func (oc optionCompiler) aiGuard(a *gatewayv1.AIRouteSettings) *snapshotv1.AiGuard {
	if a == nil || a.PromptGuard == nil {
		return nil
	}
	pg, out, ok := a.PromptGuard, &snapshotv1.AiGuard{}, true
	if rq := pg.Request; rq != nil {
		g := &snapshotv1.AiRequestGuard{RejectStatus: defaultGuardStatus, RejectMessage: defaultGuardMessage}
		if cr := rq.CustomResponse; cr != nil {
			if cr.Message != "" {
				g.RejectMessage = cr.Message
			}
			if cr.StatusCode != 0 {
				g.RejectStatus = cr.StatusCode
			}
			if g.RejectStatus < 200 || g.RejectStatus > 599 {
				oc.invalid("ai.promptGuard.request.customResponse.statusCode", "%d is not an HTTP status (200-599)", g.RejectStatus)
				ok = false
			}
		}
		g.Regex = oc.regexGuard("ai.promptGuard.request.regex", rq.Regex, &ok)
		g.Webhook = oc.webhookGuard("ai.promptGuard.request.webhook", rq.Webhook, &ok)
		g.Moderation = moderationGuard(rq.Moderation)
		out.Request = g
	}
	if rs := pg.Response; rs != nil {
		out.Response = &snapshotv1.AiResponseGuard{
			Regex:   oc.regexGuard("ai.promptGuard.response.regex", rs.Regex, &ok),
			Webhook: oc.webhookGuard("ai.promptGuard.response.webhook", rs.Webhook, &ok),
		}
	}
	if !ok || out.Request == nil && out.Response == nil {
		return nil
	}
	return out
}

// builtinNumbers are the snapshot's numbers of Gloo's built-in detectors.
var builtinNumbers = map[gatewayv1.AIGuardBuiltIn]snapshotv1.AiRegexGuard_BuiltIn{
	gatewayv1.BuiltInSSN: snapshotv1.AiRegexGuard_SSN, gatewayv1.BuiltInCreditCard: snapshotv1.AiRegexGuard_CREDIT_CARD,
	gatewayv1.BuiltInPhoneNumber: snapshotv1.AiRegexGuard_PHONE_NUMBER, gatewayv1.BuiltInEmail: snapshotv1.AiRegexGuard_EMAIL,
}

// regexGuard compiles a regex guard at path; it clears *ok when one of its parts is
// invalid.
func (oc optionCompiler) regexGuard(path string, r *gatewayv1.AIGuardRegex, ok *bool) *snapshotv1.AiRegexGuard {
	if r == nil {
		return nil
	}
	out := &snapshotv1.AiRegexGuard{}
	for i, m := range r.Matches {
		_, err := regexp.Compile(m.Pattern)
		if err == nil {
			_, err = regexp.Compile("(?ims)" + m.Pattern) // as the proxy matches it
		}
		if err != nil || m.Pattern == "" {
			why := "it is empty"
			if err != nil {
				why = err.Error()
			}
			oc.invalid(fmt.Sprintf("%s.matches[%d].pattern", path, i), "not an RE2 regular expression: %s", why)
			*ok = false
			continue
		}
		out.Matches = append(out.Matches, &snapshotv1.AiRegexGuard_AiRegexMatch{Pattern: m.Pattern, Name: m.Name})
	}
	for i, b := range r.Builtins {
		n, known := builtinNumbers[b]
		if !known {
			oc.invalid(fmt.Sprintf("%s.builtins[%d]", path, i), "%q is none of SSN, CREDIT_CARD, PHONE_NUMBER, EMAIL (0-3)", string(b))
			*ok = false
			continue
		}
		out.Builtins = append(out.Builtins, n)
	}
	switch r.Action {
	case "", gatewayv1.GuardActionMask:
	case gatewayv1.GuardActionReject:
		out.Action = snapshotv1.AiRegexGuard_REJECT
	default:
		oc.invalid(path+".action", "%q is neither MASK (0) nor REJECT (1)", string(r.Action))
		*ok = false
	}
	return out
}

// matchTypeNumbers are the snapshot's numbers of Gloo's header match types.
var matchTypeNumbers = map[gatewayv1.AIGuardMatchType]snapshotv1.AiWebhookGuard_HeaderMatch_MatchType{
	"": snapshotv1.AiWebhookGuard_HeaderMatch_EXACT, gatewayv1.MatchExact: snapshotv1.AiWebhookGuard_HeaderMatch_EXACT,
	gatewayv1.MatchPrefix: snapshotv1.AiWebhookGuard_HeaderMatch_PREFIX, gatewayv1.MatchSuffix: snapshotv1.AiWebhookGuard_HeaderMatch_SUFFIX,
	gatewayv1.MatchContains: snapshotv1.AiWebhookGuard_HeaderMatch_CONTAINS, gatewayv1.MatchRegex: snapshotv1.AiWebhookGuard_HeaderMatch_REGEX,
}

// webhookGuard compiles a webhook guard at path; it clears *ok when it is invalid.
func (oc optionCompiler) webhookGuard(path string, w *gatewayv1.AIGuardWebhook, ok *bool) *snapshotv1.AiWebhookGuard {
	if w == nil {
		return nil
	}
	if w.Host == "" || w.Port == 0 || w.Port > 65535 {
		oc.invalid(path, "host and port (1-65535) are required")
		*ok = false
		return nil
	}
	out := &snapshotv1.AiWebhookGuard{Host: w.Host, Port: w.Port}
	for i, h := range w.ForwardHeaders {
		mt, known := matchTypeNumbers[h.MatchType]
		if !known {
			oc.invalid(fmt.Sprintf("%s.forwardHeaders[%d].matchType", path, i), "%q is none of EXACT, PREFIX, SUFFIX, CONTAINS, REGEX (0-4)", string(h.MatchType))
			*ok = false
			continue
		}
		if _, err := regexp.Compile(h.Key); mt == snapshotv1.AiWebhookGuard_HeaderMatch_REGEX && err != nil {
			oc.invalid(fmt.Sprintf("%s.forwardHeaders[%d].key", path, i), "not an RE2 regular expression: %v", err)
			*ok = false
			continue
		}
		out.ForwardHeaders = append(out.ForwardHeaders, &snapshotv1.AiWebhookGuard_HeaderMatch{Key: h.Key, MatchType: mt})
	}
	return out
}

// moderationGuard compiles the moderation guard, its key inline or passthrough; a key
// in a Secret is filled by resolveGuardSecret.
func moderationGuard(m *gatewayv1.AIGuardModeration) *snapshotv1.AiModerationGuard {
	if m == nil || m.OpenAI == nil {
		return nil
	}
	out := &snapshotv1.AiModerationGuard{Model: m.OpenAI.Model}
	if out.Model == "" {
		out.Model = defaultModerationModel
	}
	if tok := m.OpenAI.AuthToken; tok != nil {
		switch {
		case tok.Inline != nil:
			out.AuthToken = strings.TrimPrefix(strings.TrimSpace(*tok.Inline), "Bearer ")
		case tok.Passthrough != nil:
			out.Passthrough = true
		}
	}
	return out
}

// moderationSecret names the Secret a RouteOption's moderation key is in; false when
// it names none.
func moderationSecret(o *gatewayv1.RouteOption) (types.NamespacedName, bool) {
	ai := o.Spec.Options.AI
	if ai == nil || ai.PromptGuard == nil || ai.PromptGuard.Request == nil {
		return types.NamespacedName{}, false
	}
	m := ai.PromptGuard.Request.Moderation
	if m == nil || m.OpenAI == nil || m.OpenAI.AuthToken == nil || m.OpenAI.AuthToken.SecretRef == nil {
		return types.NamespacedName{}, false
	}
	ref := m.OpenAI.AuthToken.SecretRef
	key := types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	if key.Namespace == "" {
		key.Namespace = o.Namespace
	}
	return key, true
}

// resolveGuardSecret fills the moderation key of a RouteOption's guard from the Secret
// its authToken.secretRef names (the Authorization entry, as Upstream keys). A Secret
// in another namespace needs a ReferenceGrant from gateway.solo.io/RouteOption. When
// the key cannot be read the option is invalid and its routes stay closed; the message
// names the Secret, never its content.
func (c *compiler) resolveGuardSecret(oc optionCompiler, o *gatewayv1.RouteOption, g *snapshotv1.AiGuard) *snapshotv1.AiGuard {
	key, ok := moderationSecret(o)
	if !ok || g == nil || g.GetRequest().GetModeration() == nil {
		return g
	}
	const field = "ai.promptGuard.request.moderation.openai.authToken.secretRef"
	if !c.idx.refAllowed(groupSolo, kindRouteOption, o.Namespace, groupCore, kindSecret, key.Namespace, key.Name) {
		oc.invalid(field, "Secret %s is in another namespace and no ReferenceGrant in %s allows RouteOptions from %s to read it; add one or move the Secret", key, key.Namespace, o.Namespace)
		return nil
	}
	s, found := c.idx.secrets[key]
	token := ""
	if found {
		raw, ok := s.Data["Authorization"]
		if !ok {
			raw = []byte(s.StringData["Authorization"])
		}
		token = strings.TrimPrefix(strings.TrimSpace(string(raw)), "Bearer ")
	}
	if token == "" {
		oc.invalid(field, "Secret %s not found or without an Authorization entry; create it with one holding the moderation key", key)
		return nil
	}
	g.Request.Moderation.AuthToken = token
	return g
}

// effectiveAiGuard is the prompt guard of a route whose backends are all LLM
// providers, from its RouteOption. A route whose RouteOption guards prompts but whose
// backends are not all LLM providers is closed (the answer returned): the guard could
// not read its traffic, and must not let it pass unguarded.
func effectiveAiGuard(ro *routeOptions, ups []*snapshotv1.Upstream) (*snapshotv1.AiGuard, *snapshotv1.DirectResponse) {
	a := ro.get(rAI)
	if a == nil || a.opt.features == nil || a.opt.features.guard == nil || len(ups) == 0 {
		return nil, nil
	}
	if !allLLM(ups) {
		return nil, &snapshotv1.DirectResponse{Status: denyStatus, Body: unguardableBody}
	}
	return a.opt.features.guard, nil
}

// unguardableBody answers a guarded route to backends that are not all AI providers.
const unguardableBody = "route uses options.ai.promptGuard, which reads prompts and answers of AI Upstreams only; this route has another backend"
