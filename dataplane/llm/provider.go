package llm

import (
	"fmt"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Default protocol versions, used when the snapshot leaves api_version empty.
const (
	DefaultAnthropicVersion = "2023-06-01"
	DefaultAzureAPIVersion  = "2024-10-21"
	DefaultGeminiAPIVersion = "v1beta"
)

// provider describes where one provider is and where its key goes.
type provider struct {
	// name is the lower-case provider name for errors and logs.
	name string
	// host is the public endpoint's host; empty when there is none (Azure).
	host string
	// keyHeader is the request header carrying the key.
	keyHeader string
	// bearer prefixes the key with "Bearer ".
	bearer bool
	// includeUsagePath is the suffix of the paths where the provider accepts
	// stream_options.include_usage; empty when it accepts it nowhere (see PrepareUsage).
	includeUsagePath string
}

var providers = map[snapshotv1.LlmProvider]provider{
	snapshotv1.LlmProvider_OPENAI:       {name: "openai", host: "api.openai.com", keyHeader: "Authorization", bearer: true, includeUsagePath: "/completions"},
	snapshotv1.LlmProvider_MISTRAL:      {name: "mistral", host: "api.mistral.ai", keyHeader: "Authorization", bearer: true},
	snapshotv1.LlmProvider_ANTHROPIC:    {name: "anthropic", host: "api.anthropic.com", keyHeader: "X-Api-Key", includeUsagePath: "/chat/completions"},
	snapshotv1.LlmProvider_AZURE_OPENAI: {name: "azure_openai", keyHeader: "Api-Key", includeUsagePath: "/completions"},
	snapshotv1.LlmProvider_GEMINI:       {name: "gemini", host: "generativelanguage.googleapis.com", keyHeader: "X-Goog-Api-Key"},
}

func lookupProvider(p snapshotv1.LlmProvider) (provider, error) {
	pr, ok := providers[p]
	if !ok {
		return provider{}, fmt.Errorf("unknown LLM provider %s", p)
	}
	return pr, nil
}

// defaultEndpoint is the provider's public HTTPS endpoint, or nil when it has none.
func (p provider) defaultEndpoint() *snapshotv1.Endpoint {
	if p.host == "" {
		return nil
	}
	return &snapshotv1.Endpoint{Host: p.host, Port: 443, Tls: true}
}
