package compile

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// defaultAnthropicVersion is the anthropic-version sent when an Upstream sets none.
const defaultAnthropicVersion = "2023-06-01"

// upstreamIR is a compiled gloo.solo.io Upstream. proto is nil when the Upstream cannot
// be used (for example its Secret is missing): routes to it then have no backend and
// the proxy answers 500.
type upstreamIR struct {
	obj        *gloov1.Upstream
	proto      *snapshotv1.Upstream
	invalid    problems
	unresolved problems
	// options are the fields claimgate ignores or refuses, for the status.
	options []gatewayv1.OptionStatus
}

// usable reports whether routes may send traffic to the Upstream.
func (u *upstreamIR) usable() bool { return u.proto != nil }

// why says, without any secret value, why the Upstream cannot be used.
func (u *upstreamIR) why() string {
	return append(append(problems{}, u.invalid...), u.unresolved...).message()
}

// compileUpstreams compiles every Upstream and records its status.
func (c *compiler) compileUpstreams() {
	for _, us := range c.idx.sortedUpstreams {
		ir := c.compileUpstream(us)
		c.upstreams[nsName(us)] = ir
		c.res.Upstreams[nsName(us)] = upstreamStatus(us, ir)
	}
}

// upstreamStatus is the status of a compiled Upstream.
func upstreamStatus(us *gloov1.Upstream, ir *upstreamIR) gloov1.UpstreamStatus {
	gen := us.Generation
	accepted := "the Upstream is valid"
	var ignoredNames []string
	for _, o := range ir.options {
		if o.Outcome == gatewayv1.OptionIgnored {
			ignoredNames = append(ignoredNames, o.Name)
		}
	}
	if len(ignoredNames) > 0 {
		accepted += "; ignored, as claimgate does not implement them: " + strings.Join(ignoredNames, ", ")
	}
	return gloov1.UpstreamStatus{Conditions: []metav1.Condition{
		ir.invalid.condition(gatewayv1.ConditionAccepted, gatewayv1.ReasonAccepted, accepted, gen),
		ir.unresolved.condition(gatewayv1.ConditionResolvedRefs, gatewayv1.ReasonResolvedRefs, "every reference was resolved", gen),
	}, Options: ir.options}
}

func (c *compiler) compileUpstream(us *gloov1.Upstream) *upstreamIR {
	ir := &upstreamIR{obj: us}
	name := "upstream:" + us.Namespace + "/" + us.Name
	surveyUpstream(ir)
	switch {
	case len(ir.invalid) > 0: // a kind claimgate lacks
	case us.Spec.AI != nil && us.Spec.AI.Multi != nil:
		f := c.compileMulti(ir, us.Spec.AI.Multi)
		switch eps := failoverEndpoints(f); {
		case len(eps) > 0:
			c.applySslConfig(ir, eps)
		case us.Spec.SslConfig != nil:
			ir.ignore("spec.sslConfig", "the providers' public endpoints are verified against the system roots; sslConfig applies to a customHost")
		}
		if f != nil && len(ir.invalid) == 0 && len(ir.unresolved) == 0 {
			ir.proto = &snapshotv1.Upstream{Name: name, Kind: &snapshotv1.Upstream_Failover{Failover: f}}
		}
	case us.Spec.AI != nil:
		llm := c.compileAI(ir, us.Spec.AI)
		switch {
		case llm != nil && llm.Endpoint != nil:
			c.applySslConfig(ir, []*snapshotv1.Endpoint{llm.Endpoint})
		case us.Spec.SslConfig != nil:
			ir.ignore("spec.sslConfig", "the provider's public endpoint is verified against the system roots; sslConfig applies to a customHost")
		}
		if llm != nil && len(ir.invalid) == 0 && len(ir.unresolved) == 0 {
			ir.proto = &snapshotv1.Upstream{Name: name, Kind: &snapshotv1.Upstream_Llm{Llm: llm}}
		}
	case us.Spec.Static != nil:
		st := compileStatic(ir, us.Spec.Static)
		c.applySslConfig(ir, st.Endpoints)
		if len(ir.invalid) == 0 && len(ir.unresolved) == 0 {
			ir.proto = &snapshotv1.Upstream{Name: name, Kind: &snapshotv1.Upstream_Static{Static: st}}
		}
	case us.Spec.Kube != nil:
		ep := c.compileKube(ir, us.Spec.Kube)
		if ep != nil {
			c.applySslConfig(ir, []*snapshotv1.Endpoint{ep})
		}
		if ep != nil && len(ir.invalid) == 0 && len(ir.unresolved) == 0 {
			ir.proto = &snapshotv1.Upstream{Name: name, Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
				Endpoints: []*snapshotv1.Endpoint{ep},
			}}}
		}
	default:
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s sets none of spec.ai, spec.static or spec.kube; set exactly one", us.Namespace, us.Name))
	}
	return ir
}

// compileAI resolves the one provider of spec.ai.
func (c *compiler) compileAI(ir *upstreamIR, ai *gloov1.AIUpstream) *snapshotv1.LlmUpstream {
	switch {
	case ai.OpenAI != nil:
		return c.llm(ir, snapshotv1.LlmProvider_OPENAI, ai.OpenAI.AuthToken, ai.OpenAI.CustomHost, ai.OpenAI.Model, "")
	case ai.Mistral != nil:
		return c.llm(ir, snapshotv1.LlmProvider_MISTRAL, ai.Mistral.AuthToken, ai.Mistral.CustomHost, ai.Mistral.Model, "")
	case ai.Anthropic != nil:
		version := ai.Anthropic.Version
		if version == "" {
			version = defaultAnthropicVersion
		}
		return c.llm(ir, snapshotv1.LlmProvider_ANTHROPIC, ai.Anthropic.AuthToken, ai.Anthropic.CustomHost, ai.Anthropic.Model, version)
	case ai.AzureOpenAI != nil:
		az := ai.AzureOpenAI
		host := az.CustomHost
		if host == nil {
			host = &gloov1.CustomHost{Host: az.Endpoint, Port: 443}
		}
		if host.Host == "" {
			ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: azureOpenai sets neither endpoint nor customHost; set one", ir.obj.Namespace, ir.obj.Name))
			return nil
		}
		llm := c.llm(ir, snapshotv1.LlmProvider_AZURE_OPENAI, az.AuthToken, host, "", az.APIVersion)
		llm.DeploymentName = az.DeploymentName
		return llm
	case ai.Gemini != nil:
		g := ai.Gemini
		return c.llm(ir, snapshotv1.LlmProvider_GEMINI, g.AuthToken, g.CustomHost, g.Model, g.APIVersion)
	default:
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: spec.ai names no provider; set one of openai, mistral, anthropic, azureOpenai or gemini", ir.obj.Namespace, ir.obj.Name))
		return nil
	}
}

func (c *compiler) llm(ir *upstreamIR, p snapshotv1.LlmProvider, tok *gloov1.SingleAuthToken, host *gloov1.CustomHost, model, apiVersion string) *snapshotv1.LlmUpstream {
	llm := &snapshotv1.LlmUpstream{Provider: p, Model: model, ApiVersion: apiVersion}
	if host != nil {
		port := host.Port
		if port == 0 {
			port = 443 // Gloo's default for a custom host
		}
		llm.Endpoint = &snapshotv1.Endpoint{Host: host.Host, Port: uint32(port), Tls: port == 443}
		if host.Hostname != nil && *host.Hostname != "" {
			llm.HostHeader = *host.Hostname
			if llm.Endpoint.Tls {
				llm.Endpoint.Sni = *host.Hostname
			}
		}
		if po := host.PathOverride; po != nil {
			llm.FullPath, llm.BasePath = po.FullPath, strings.TrimSuffix(po.BasePath, "/")
		}
	}
	if tok != nil { // without authToken no key is injected
		llm.AuthToken, llm.Passthrough = c.resolveAuthToken(ir, *tok)
	}
	return llm
}

// resolveAuthToken returns the provider key of an authToken with a leading "Bearer "
// removed, or passthrough. Problems name the Secret, never its content.
func (c *compiler) resolveAuthToken(ir *upstreamIR, tok gloov1.SingleAuthToken) (string, bool) {
	us := ir.obj
	switch {
	case tok.Passthrough != nil:
		return "", true
	case tok.Inline != nil:
		key := strings.TrimPrefix(*tok.Inline, "Bearer ")
		if key == "" {
			ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: authToken.inline is empty; set the provider key", us.Namespace, us.Name))
		}
		return key, false
	case tok.SecretRef != nil:
		key, _ := authTokenSecret(us.Namespace, tok)
		return c.secretAuthToken(ir, key), false
	default:
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: authToken sets none of inline, secretRef or passthrough; set one", us.Namespace, us.Name))
		return "", false
	}
}

// secretAuthToken reads the Authorization entry of the Secret key. A Secret in
// another namespace needs a ReferenceGrant from gloo.solo.io/Upstream: otherwise anyone
// who can write an Upstream could send another namespace's key to a host of their choice.
func (c *compiler) secretAuthToken(ir *upstreamIR, key types.NamespacedName) string {
	us := ir.obj
	if !c.idx.refAllowed(groupGloo, kindUpstream, us.Namespace, groupCore, kindSecret, key.Namespace, key.Name) {
		ir.unresolved.add(gatewayv1.ReasonRefNotPermitted, fmt.Sprintf("authToken.secretRef Secret %s is in another namespace and no ReferenceGrant in %s allows Upstreams from %s to read it; add one or move the Secret", key, key.Namespace, us.Namespace))
		return ""
	}
	s, ok := c.idx.secrets[key]
	if !ok {
		ir.unresolved.add(gatewayv1.ReasonRefNotFound, fmt.Sprintf("authToken.secretRef Secret %s not found; create it with an Authorization entry", key))
		return ""
	}
	raw, ok := s.Data["Authorization"]
	if !ok {
		raw = []byte(s.StringData["Authorization"])
	}
	token := strings.TrimPrefix(strings.TrimSpace(string(raw)), "Bearer ")
	if token == "" {
		ir.unresolved.add(gatewayv1.ReasonRefNotFound, fmt.Sprintf("authToken.secretRef Secret %s has no Authorization entry (or it is empty); add one holding the provider key", key))
	}
	return token
}

// compileStatic turns spec.static into endpoints. Without useTls, port 443 means TLS.
func compileStatic(ir *upstreamIR, st *gloov1.StaticUpstream) *snapshotv1.StaticUpstream {
	out := &snapshotv1.StaticUpstream{}
	if len(st.Hosts) == 0 {
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: spec.static.hosts is empty; add a host", ir.obj.Namespace, ir.obj.Name))
	}
	for _, h := range st.Hosts {
		out.Endpoints = append(out.Endpoints, staticEndpoint(st, h))
	}
	return out
}

func staticEndpoint(st *gloov1.StaticUpstream, h gloov1.Host) *snapshotv1.Endpoint {
	tls := h.Port == 443
	if st.UseTLS != nil {
		tls = *st.UseTLS
	}
	ep := &snapshotv1.Endpoint{Host: h.Addr, Port: uint32(h.Port), Tls: tls, Sni: h.SniAddr}
	if h.LoadBalancingWeight != nil {
		ep.LoadBalancingWeight = uint32(*h.LoadBalancingWeight) // 0-4294967295 by the schema
	}
	return ep
}

// compileKube resolves a kube Upstream to its Service's cluster DNS name and port. A
// Service in another namespace needs a ReferenceGrant: otherwise anyone who can write an
// Upstream could send traffic, and the provider keys routes inject, to any Service.
func (c *compiler) compileKube(ir *upstreamIR, k *gloov1.KubeUpstream) *snapshotv1.Endpoint {
	us := ir.obj
	key := types.NamespacedName{Namespace: k.ServiceNamespace, Name: k.ServiceName}
	if key.Namespace == "" {
		key.Namespace = us.Namespace
	}
	what := fmt.Sprintf("kube Service %s", key)
	if key.Namespace != us.Namespace && !c.idx.refAllowed(groupGloo, kindUpstream, us.Namespace, groupCore, kindService, key.Namespace, key.Name) {
		ir.unresolved.add(gatewayv1.ReasonRefNotPermitted, fmt.Sprintf("%s is in another namespace and no ReferenceGrant in %s allows Upstreams from %s to reference it; add one", what, key.Namespace, us.Namespace))
		return nil
	}
	svc, ok := c.idx.services[key]
	if !ok {
		ir.unresolved.add(gatewayv1.ReasonRefNotFound, what+" not found; create it or fix serviceName")
		return nil
	}
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == k.ServicePort }) {
		ir.unresolved.add(gatewayv1.ReasonRefNotFound, fmt.Sprintf("%s has no port %d; fix servicePort", what, k.ServicePort))
		return nil
	}
	return &snapshotv1.Endpoint{Host: key.Name + "." + key.Namespace + ".svc.cluster.local", Port: uint32(k.ServicePort)}
}
