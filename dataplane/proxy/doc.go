// Package proxy is the proxy's request path: it owns the listeners of the current
// snapshot, picks the virtual host and the first matching route of each request, runs the
// route's rate limits (dataplane/ratelimit: the early ones before authentication, the
// regular ones after authorization), JWT authentication (dataplane/authn) and claim
// authorization (dataplane/authz), applies the route's filters, shapes the body of a
// request to an LLM provider for the route's ai options (ai.go) and forwards the request
// to its upstream (dataplane/llm) — for a failover pool of providers, attempt by
// attempt to the priority and member whose turn it is (failover.go) — streaming the
// answer back. Each snapshot is compiled
// once into an immutable table behind an atomic.Pointer (Server.Apply); a request uses
// one table from start to end.
package proxy
