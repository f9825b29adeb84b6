// Package llm sits at the end of the proxy's request path, just before the request leaves
// for the provider: it knows each LLM provider's public endpoint, where the provider
// expects its API key (Authorization, x-api-key, api-key, x-goog-api-key), how to reach a
// custom endpoint over verified TLS, how to shape the request body for a route's ai options
// (prompt enrichment and field defaults, in OpenAI's, Anthropic's or Gemini's own format:
// Shaping) and how to override the request's model. It also owns
// the pooled HTTP transports every upstream request goes through. It holds no per-request
// state: Compile once per snapshot, then Rewrite each outgoing request. On the way back it
// meters answers: it reads the token usage each provider reports, in whole JSON answers and
// in server-sent event streams as they pass, for the proxy to charge token budgets
// (PrepareUsage, PrepareUsageHeader, Meter).
package llm
