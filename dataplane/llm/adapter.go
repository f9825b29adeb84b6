package llm

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Adapter is a compiled LlmUpstream: it turns a request the proxy accepted into the request
// the provider expects. It is immutable and safe for concurrent use.
type Adapter struct {
	prov        provider
	endpoint    Endpoint
	keyValue    string // the header value carrying the key; empty with passthrough
	passthrough bool
	model       string
	apiVersion  string
	azurePath   string // /openai/deployments/<deployment>/chat/completions
	azureQuery  string // api-version=<v>
	geminiBase  string // /<api version>/openai: Gemini's OpenAI-compatible API
	// includeUsagePath is the provider's, unless its API version predates stream_options.
	includeUsagePath string
	overrides
}

// overrides are a custom host's changes to every request: its Host header and its path.
type overrides struct {
	hostHeader          string
	fullPath, fullQuery string // fullPath set: the path and query sent
	basePath            string // set: prepended to the path
}

func compileOverrides(u *snapshotv1.LlmUpstream) overrides {
	o := overrides{hostHeader: u.GetHostHeader()}
	if fp := u.GetFullPath(); fp != "" {
		o.fullPath, o.fullQuery, _ = strings.Cut(fp, "?")
	} else if bp := strings.TrimSuffix(u.GetBasePath(), "/"); bp != "" {
		o.basePath = bp
	}
	return o
}

// apply sets the Host header and the path of out.
func (o *overrides) apply(out *http.Request) {
	if o.hostHeader != "" {
		out.Host = o.hostHeader
	}
	switch {
	case o.fullPath != "":
		out.URL.Path, out.URL.RawPath, out.URL.RawQuery = o.fullPath, "", o.fullQuery
	case o.basePath != "":
		out.URL.Path, out.URL.RawPath = o.basePath+out.URL.Path, ""
	}
}

// Compile validates u and precompiles it. Errors never contain the key.
func Compile(u *snapshotv1.LlmUpstream) (*Adapter, error) {
	prov, err := lookupProvider(u.GetProvider())
	if err != nil {
		return nil, err
	}
	ep := u.GetEndpoint()
	if ep == nil {
		ep = prov.defaultEndpoint()
	}
	if ep == nil {
		return nil, fmt.Errorf("%s: endpoint is required", prov.name)
	}
	e, err := CompileEndpoint(ep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prov.name, err)
	}
	a := &Adapter{
		prov: prov, endpoint: e, passthrough: u.GetPassthrough(),
		model: u.GetModel(), apiVersion: u.GetApiVersion(), overrides: compileOverrides(u),
		includeUsagePath: prov.includeUsagePath,
	}
	if !a.passthrough && u.GetAuthToken() != "" {
		a.keyValue = u.GetAuthToken()
		if prov.bearer {
			a.keyValue = "Bearer " + a.keyValue
		}
	}
	if err := a.compileProviderSpecific(u); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Adapter) compileProviderSpecific(u *snapshotv1.LlmUpstream) error {
	switch u.GetProvider() {
	case snapshotv1.LlmProvider_ANTHROPIC:
		if a.apiVersion == "" {
			a.apiVersion = DefaultAnthropicVersion
		}
	case snapshotv1.LlmProvider_AZURE_OPENAI:
		if u.GetDeploymentName() == "" {
			return errors.New("azure_openai: deployment_name is required")
		}
		if a.apiVersion == "" {
			a.apiVersion = DefaultAzureAPIVersion
		}
		a.azurePath = "/openai/deployments/" + url.PathEscape(u.GetDeploymentName()) + "/chat/completions"
		a.azureQuery = url.Values{"api-version": {a.apiVersion}}.Encode()
		if a.apiVersion < azureStreamUsageSince {
			a.includeUsagePath = ""
		}
	case snapshotv1.LlmProvider_GEMINI:
		if a.apiVersion == "" {
			a.apiVersion = DefaultGeminiAPIVersion
		}
		a.geminiBase = "/" + url.PathEscape(a.apiVersion) + "/openai"
	}
	return nil
}

// Endpoint is where requests for this upstream go.
func (a *Adapter) Endpoint() Endpoint { return a.endpoint }

// Model is the model every request body is rewritten to; empty means none.
func (a *Adapter) Model() string { return a.model }

// Provider is the provider's lower-case name.
func (a *Adapter) Provider() string { return a.prov.name }

// Rewrite prepares the outgoing request out: its URL points at the endpoint, the client's
// Authorization is dropped (unless passthrough, which sends it as is) and the provider key
// is set where the provider expects it.
func (a *Adapter) Rewrite(out *http.Request) {
	out.URL.Scheme = a.endpoint.Scheme
	out.URL.Host = a.endpoint.HostPort
	out.Host = a.endpoint.Host
	h := out.Header
	if !a.passthrough {
		h.Del("Authorization")
		if a.keyValue != "" {
			h[a.prov.keyHeader] = []string{a.keyValue}
		}
	}
	switch a.prov.keyHeader {
	case "X-Api-Key":
		h["Anthropic-Version"] = []string{a.apiVersion}
	case "Api-Key":
		out.URL.Path = a.azurePath
		out.URL.RawPath = ""
		out.URL.RawQuery = a.azureQuery
	case "X-Goog-Api-Key":
		// OpenAI-style paths go to Gemini's OpenAI-compatible API; native Gemini paths
		// (/v1beta/models/...) pass unchanged.
		if rest, ok := strings.CutPrefix(out.URL.Path, "/v1/"); ok {
			out.URL.Path = a.geminiBase + "/" + rest
			out.URL.RawPath = ""
		}
	}
	a.apply(out)
}
