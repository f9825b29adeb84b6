package llm

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func TestAdapterRewrite(t *testing.T) {
	tests := map[string]struct {
		up          *snapshotv1.LlmUpstream
		path        string // the request's path; /v1/chat/completions when empty
		wantURL     string
		wantHost    string
		wantHeaders map[string]string
		wantAbsent  []string
	}{
		"openai default endpoint, bearer key, client token dropped": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "sk-o"},
			wantURL:     "https://api.openai.com:443/v1/chat/completions",
			wantHost:    "api.openai.com",
			wantHeaders: map[string]string{"Authorization": "Bearer sk-o"},
		},
		"mistral": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_MISTRAL, AuthToken: "m-key"},
			wantURL:     "https://api.mistral.ai:443/v1/chat/completions",
			wantHost:    "api.mistral.ai",
			wantHeaders: map[string]string{"Authorization": "Bearer m-key"},
		},
		"anthropic with default version": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_ANTHROPIC, AuthToken: "a-key"},
			wantURL:     "https://api.anthropic.com:443/v1/chat/completions",
			wantHost:    "api.anthropic.com",
			wantHeaders: map[string]string{"x-api-key": "a-key", "anthropic-version": "2023-06-01"},
			wantAbsent:  []string{"Authorization"},
		},
		"anthropic with explicit version": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_ANTHROPIC, AuthToken: "a", ApiVersion: "2024-01-01"},
			wantURL:     "https://api.anthropic.com:443/v1/chat/completions",
			wantHost:    "api.anthropic.com",
			wantHeaders: map[string]string{"anthropic-version": "2024-01-01"},
		},
		"azure deployment path and api-version": {
			up: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_AZURE_OPENAI, AuthToken: "az", DeploymentName: "gpt4",
				ApiVersion: "2024-02-01", Endpoint: &snapshotv1.Endpoint{Host: "me.openai.azure.com", Port: 443, Tls: true},
			},
			wantURL:     "https://me.openai.azure.com:443/openai/deployments/gpt4/chat/completions?api-version=2024-02-01",
			wantHost:    "me.openai.azure.com",
			wantHeaders: map[string]string{"api-key": "az"},
			wantAbsent:  []string{"Authorization"},
		},
		"gemini: an OpenAI path goes to the OpenAI-compatible API": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_GEMINI, AuthToken: "g"},
			wantURL:     "https://generativelanguage.googleapis.com:443/v1beta/openai/chat/completions",
			wantHost:    "generativelanguage.googleapis.com",
			wantHeaders: map[string]string{"x-goog-api-key": "g"},
			wantAbsent:  []string{"Authorization"},
		},
		"gemini with an explicit api version": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_GEMINI, AuthToken: "g", ApiVersion: "v1"},
			wantURL:     "https://generativelanguage.googleapis.com:443/v1/openai/chat/completions",
			wantHost:    "generativelanguage.googleapis.com",
			wantHeaders: map[string]string{"x-goog-api-key": "g"},
		},
		"gemini: a native path passes unchanged": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_GEMINI, AuthToken: "g"},
			path:        "/v1beta/models/gemini-2.0-flash:generateContent",
			wantURL:     "https://generativelanguage.googleapis.com:443/v1beta/models/gemini-2.0-flash:generateContent",
			wantHost:    "generativelanguage.googleapis.com",
			wantHeaders: map[string]string{"x-goog-api-key": "g"},
		},
		"custom plain endpoint": {
			up: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k",
				Endpoint: &snapshotv1.Endpoint{Host: "127.0.0.1", Port: 9000},
			},
			wantURL:     "http://127.0.0.1:9000/v1/chat/completions",
			wantHost:    "127.0.0.1",
			wantHeaders: map[string]string{"Authorization": "Bearer k"},
		},
		"no key: nothing injected, the client's Authorization removed": {
			up: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_OPENAI,
				Endpoint: &snapshotv1.Endpoint{Host: "127.0.0.1", Port: 11434},
			},
			wantURL:    "http://127.0.0.1:11434/v1/chat/completions",
			wantHost:   "127.0.0.1",
			wantAbsent: []string{"Authorization"},
		},
		"custom host name and full path": {
			up: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k", HostHeader: "llm.example.com",
				Endpoint: &snapshotv1.Endpoint{Host: "10.0.0.7", Port: 443, Tls: true, Sni: "llm.example.com"},
				FullPath: "/proxy/chat?tenant=a",
			},
			path:     "/v1/chat/completions?client=1",
			wantURL:  "https://10.0.0.7:443/proxy/chat?tenant=a",
			wantHost: "llm.example.com",
		},
		"base path": {
			up: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "k", BasePath: "/openai/",
				Endpoint: &snapshotv1.Endpoint{Host: "10.0.0.7", Port: 8080},
			},
			path:     "/v1/embeddings?x=1",
			wantURL:  "http://10.0.0.7:8080/openai/v1/embeddings?x=1",
			wantHost: "10.0.0.7",
		},
		"passthrough keeps the client's Authorization": {
			up:          &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, Passthrough: true, AuthToken: "ignored"},
			wantURL:     "https://api.openai.com:443/v1/chat/completions",
			wantHost:    "api.openai.com",
			wantHeaders: map[string]string{"Authorization": "Bearer client-token"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := Compile(tc.up)
			require.NoError(t, err)
			path := tc.path
			if path == "" {
				path = "/v1/chat/completions"
			}
			out := httptest.NewRequest(http.MethodPost, "http://gw:8080"+path, nil)
			out.Header.Set("Authorization", "Bearer client-token")
			a.Rewrite(out)
			require.Equal(t, tc.wantURL, out.URL.String())
			require.Equal(t, tc.wantHost, out.Host)
			for k, v := range tc.wantHeaders {
				require.Equal(t, v, out.Header.Get(k), k)
			}
			for _, k := range tc.wantAbsent {
				require.Empty(t, out.Header.Values(k), k)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := map[string]struct {
		up      *snapshotv1.LlmUpstream
		wantErr string
	}{
		"unspecified provider":     {up: &snapshotv1.LlmUpstream{AuthToken: "secret-key"}, wantErr: "unknown LLM provider"},
		"azure without endpoint":   {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_AZURE_OPENAI, AuthToken: "secret-key", DeploymentName: "d"}, wantErr: "endpoint is required"},
		"azure without deployment": {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_AZURE_OPENAI, AuthToken: "secret-key", Endpoint: &snapshotv1.Endpoint{Host: "h", Port: 1}}, wantErr: "deployment_name is required"},
		"port zero":                {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "secret-key", Endpoint: &snapshotv1.Endpoint{Host: "h"}}, wantErr: "port 0"},
		"bad ca":                   {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: "secret-key", Endpoint: &snapshotv1.Endpoint{Host: "h", Port: 1, Tls: true, CaPem: []byte("nope")}}, wantErr: "no PEM certificate"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Compile(tc.up)
			require.ErrorContains(t, err, tc.wantErr)
			require.NotContains(t, err.Error(), "secret-key")
		})
	}
}
