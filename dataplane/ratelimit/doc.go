// Package ratelimit enforces a route's RateLimitConfigs (snapshotv1.RateLimitPolicy) in
// the proxy, with the semantics of Envoy's rate-limit filter and the envoyproxy/ratelimit
// service that Gloo uses. dataplane/proxy calls it twice per request: the early policies
// before JWT authentication (dataplane/authn), the regular ones after claim authorization
// (dataplane/authz), and before anything is forwarded.
//
// Compile turns a policy into an immutable Policy once per snapshot: the descriptor tree
// as maps keyed by key and value, header names canonical, regexes compiled. Per request,
// a Limiter builds each policy's request descriptors from a Request (headers, client
// address, verified claims), finds the limit each one reaches, counts the hits in a Store
// (in memory by default; the interface lets a networked store count all of a request's
// hits in one round trip) and fills a Decision: allowed or over, and the x-ratelimit-*
// headers of the most constraining limit. Limits of a token policy count LLM tokens: the
// check only refuses a window already at its limit, and Decision.Charge adds the tokens
// when the answer ends.
//
// Counters are fixed windows aligned to their unit's boundary in UTC; a counter is named
// by its policy, the matched descriptor with the request's values, and its window.
//
// Two stores: MemoryStore, exact for one proxy, and RedisStore, shared by every proxy
// that points at one Redis, standalone or cluster. RedisStore counts a request stage's
// hits in one round trip (one per node involved in a cluster) with the rueidis client,
// chosen for its automatic pipelining of concurrent requests on a few connections and
// its cluster support (see RedisStore); it remembers in the proxy the counters already
// at their limit (Hit.Limit), so a flood on an exhausted budget costs Redis nothing.
// When Redis cannot be reached Apply fails within its timeouts and the Limiter lets the
// request through, or refuses it with Config.DenyOnFail.
package ratelimit
