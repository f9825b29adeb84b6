package proxy

import "github.com/claimgate/claimgate/dataplane/llm"

// aiShaping is how the route changes request bodies sent to up: nil unless up is an
// LLM provider (or a failover pool of them) and the route shapes its requests (RouteOption ai.promptEnrichment,
// ai.defaults).
func (rt *route) aiShaping(up *upstream) *llm.Shaping {
	if rt.ai == nil || !up.llm() {
		return nil
	}
	return rt.ai
}
