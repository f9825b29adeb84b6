// Package bench is claimgate's side-by-side benchmark. It runs, in one process and on
// loopback, the same fake OpenAI-compatible backend reached directly, through the proxy
// (bin/proxy, standalone) without and with the tutorial's JWT + claim policy, and through
// HAProxy with equivalent jwt_verify rules; then two proxies of one Gateway, configured
// by the controller, sharing rate-limit counters in a local redis-server (the same route
// with and without a RateLimitConfig, and a flood from a key over its limit); then the
// control plane (a local kube-apiserver, the controller and a proxy) with many
// HTTPRoutes and RouteOptions.
// Run reports everything as a Markdown document: medians over alternating rounds,
// ratios, and where each goal stands.
package bench
