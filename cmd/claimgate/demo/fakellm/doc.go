// Package fakellm stands in for an LLM provider at the end of the proxy's request path:
// an OpenAI-compatible backend (chat completions, streaming server-sent events, models
// list) that records what it received. `claimgate demo` serves it for the tutorial's
// Upstream; the tests serve it through test/fakellm to assert the key and body the proxy
// forwarded. Upstreams reach it through customHost / endpoint.
package fakellm
