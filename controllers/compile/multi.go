package compile

import (
	"fmt"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	gloov1 "github.com/claimgate/claimgate/api/gloo/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Failover pools (spec.ai.multi): each member of each priority is compiled as the same
// provider would be in spec.ai, into a snapshot FailoverUpstream. A member that cannot
// be used (its Secret is missing, its provider is one claimgate lacks) makes the whole
// Upstream unusable, as it would a single provider: routes to it answer 500 and its
// status names the member. Dropping the member instead would silently send its share
// of the traffic, and the retries meant for it, to other models.

// memberPath is the status name of member j of priority i.
func memberPath(i, j int) string {
	return fmt.Sprintf("spec.ai.multi.priorities[%d].pool[%d]", i, j)
}

// compileMulti compiles every member of a failover pool; nil when the pool is empty.
func (c *compiler) compileMulti(ir *upstreamIR, m *gloov1.MultiPool) *snapshotv1.FailoverUpstream {
	us := ir.obj
	if len(m.Priorities) == 0 {
		ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: spec.ai.multi.priorities is empty; add a priority with a provider", us.Namespace, us.Name))
		return nil
	}
	out := &snapshotv1.FailoverUpstream{}
	for i, p := range m.Priorities {
		if len(p.Pool) == 0 {
			ir.invalid.add(gatewayv1.ReasonInvalid, fmt.Sprintf("Upstream %s/%s: spec.ai.multi.priorities[%d].pool is empty; add a provider", us.Namespace, us.Name, i))
		}
		prio := &snapshotv1.FailoverPriority{}
		for j := range p.Pool {
			if llm := c.compileMember(ir, i, j, &p.Pool[j]); llm != nil {
				prio.Pool = append(prio.Pool, llm)
			}
		}
		out.Priorities = append(out.Priorities, prio)
	}
	return out
}

// compileMember compiles one member as spec.ai would compile it alone, and moves its
// problems to ir, each prefixed with the member's path. sslConfig applies to every
// member with a customHost, once, in compileUpstream.
func (c *compiler) compileMember(ir *upstreamIR, i, j int, b *gloov1.MultiBackend) *snapshotv1.LlmUpstream {
	if b.VertexAI != nil || b.Bedrock != nil {
		return nil // refused by the survey
	}
	member := &upstreamIR{obj: ir.obj}
	llm := c.compileAI(member, &gloov1.AIUpstream{
		OpenAI: b.OpenAI, Mistral: b.Mistral, Anthropic: b.Anthropic, AzureOpenAI: b.AzureOpenAI, Gemini: b.Gemini,
	})
	path := memberPath(i, j)
	for _, p := range member.invalid {
		ir.invalid.add(p.reason, path+": "+p.message)
	}
	for _, p := range member.unresolved {
		ir.unresolved.add(p.reason, path+": "+p.message)
	}
	return llm
}

// surveyMulti refuses the members of providers claimgate does not implement.
func surveyMulti(ir *upstreamIR, m *gloov1.MultiPool) {
	for i, p := range m.Priorities {
		for j, b := range p.Pool {
			if b.VertexAI != nil {
				ir.refuse(memberPath(i, j)+".vertexAi", "claimgate does not implement it yet; routes to this Upstream answer 500")
			}
			if b.Bedrock != nil {
				ir.refuse(memberPath(i, j)+".bedrock", "claimgate does not implement it yet; routes to this Upstream answer 500")
			}
		}
	}
}

// multiAuthTokens are the authTokens of every member of a failover pool, in order.
func multiAuthTokens(m *gloov1.MultiPool) []*gloov1.SingleAuthToken {
	var out []*gloov1.SingleAuthToken
	for _, p := range m.Priorities {
		for j := range p.Pool {
			b := &p.Pool[j]
			tok := aiAuthToken(&gloov1.AIUpstream{OpenAI: b.OpenAI, Mistral: b.Mistral, Anthropic: b.Anthropic, AzureOpenAI: b.AzureOpenAI, Gemini: b.Gemini})
			if tok != nil {
				out = append(out, tok)
			}
		}
	}
	return out
}

// failoverEndpoints are the endpoints of the members with a customHost.
func failoverEndpoints(f *snapshotv1.FailoverUpstream) []*snapshotv1.Endpoint {
	var out []*snapshotv1.Endpoint
	for _, p := range f.GetPriorities() {
		for _, m := range p.GetPool() {
			if m.GetEndpoint() != nil {
				out = append(out, m.GetEndpoint())
			}
		}
	}
	return out
}
