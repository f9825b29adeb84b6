// Package fakellm stands in for an LLM provider at the end of the proxy's request path:
// an OpenAI-compatible backend (chat completions, streaming server-sent events, models
// list) that records what it received. Its answers report token usage as OpenAI's do:
// usage in JSON answers and, when the request sets stream_options.include_usage, a last
// usage-only chunk in streams (PromptTokens, AnswerTokens and StreamTokens give the
// counts). `claimgate demo` serves it for the tutorial's
// Upstream; the tests serve it through test/fakellm to assert the key and body the proxy
// forwarded. Upstreams reach it through customHost / endpoint.
package fakellm
