package llm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func TestSetIncludeUsage(t *testing.T) {
	tests := map[string]struct {
		body, want string
		changed    bool
	}{
		"absent: added last, the rest untouched": {
			body:    `{"model":"gpt-4o", "stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			want:    `{"model":"gpt-4o", "stream":true,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}`,
			changed: true,
		},
		"absent, white space before the brace": {
			body: "{\"stream\": true\n}\n", want: "{\"stream\": true\n,\"stream_options\":{\"include_usage\":true}}\n", changed: true,
		},
		"false: set true in place": {
			body:    `{"stream":true,"stream_options":{"include_usage":false,"x":1},"model":"m"}`,
			want:    `{"stream":true,"stream_options":{"include_usage":true,"x":1},"model":"m"}`,
			changed: true,
		},
		"options without include_usage": {
			body:    `{"stream":true,"stream_options":{"include_obfuscation":false}}`,
			want:    `{"stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true}}`,
			changed: true,
		},
		"empty options": {
			body: `{"stream":true,"stream_options":{ }}`, want: `{"stream":true,"stream_options":{ "include_usage":true}}`, changed: true,
		},
		"null options": {
			body: `{"stream_options":null,"stream":true}`, want: `{"stream_options":{"include_usage":true},"stream":true}`, changed: true,
		},
		"a non-boolean include_usage is set true": {
			body: `{"stream":true,"stream_options":{"include_usage":"yes"}}`, want: `{"stream":true,"stream_options":{"include_usage":true}}`, changed: true,
		},
		"the last of repeated members counts": {
			body:    `{"stream":false,"stream":true,"stream_options":{"include_usage":true},"stream_options":{}}`,
			want:    `{"stream":false,"stream":true,"stream_options":{"include_usage":true},"stream_options":{"include_usage":true}}`,
			changed: true,
		},
		"already true: untouched":       {body: `{"stream":true,"stream_options":{"include_usage":true}}`},
		"escaped key already true":      {body: `{"stream":true,"stream_options":{"include_\u0075sage":true}}`},
		"not streamed":                  {body: `{"stream":false,"model":"m"}`},
		"stream absent":                 {body: `{"model":"m"}`},
		"stream not a boolean":          {body: `{"stream":"true"}`},
		"options of the wrong type":     {body: `{"stream":true,"stream_options":"usage"}`},
		"not JSON":                      {body: `stream=true`},
		"a JSON array":                  {body: `[{"stream":true}]`},
		"truncated object":              {body: `{"stream":true,"messages":[`},
		"bytes after the object":        {body: `{"stream":true} {}`},
		"invalid inside a member value": {body: `{"stream":true,"messages":[}]}`},
		"empty":                         {body: ``},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, changed := setIncludeUsage([]byte(tc.body), 1<<20)
			require.Equal(t, tc.changed, changed)
			want := tc.want
			if !tc.changed {
				want = tc.body
			}
			require.Equal(t, want, string(got))
			if changed {
				require.True(t, json.Valid(got), string(got))
			}
		})
	}
}

func TestSetIncludeUsageBounds(t *testing.T) {
	huge := `{"stream":true,"messages":[{"role":"user","content":"` + strings.Repeat("x", 1<<20) + `"}]}`
	got, changed := setIncludeUsage([]byte(huge), 1<<20)
	require.False(t, changed, "a body over the limit is left alone")
	require.Equal(t, huge, string(got))
	got, changed = setIncludeUsage([]byte(huge), 2<<20)
	require.True(t, changed)
	require.True(t, strings.HasSuffix(string(got), `"}],"stream_options":{"include_usage":true}}`))
}

func TestPrepareUsage(t *testing.T) {
	const streamed = `{"model":"m","stream":true}`
	tests := map[string]struct {
		up   *snapshotv1.LlmUpstream
		path string
		hide bool
	}{
		"openai chat completions":                {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI}, path: "/v1/chat/completions", hide: true},
		"openai legacy completions":              {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI}, path: "/v1/completions", hide: true},
		"openai responses API: not the option's": {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_OPENAI}, path: "/v1/responses"},
		"azure, default version": {
			up:   &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_AZURE_OPENAI, DeploymentName: "d", Endpoint: &snapshotv1.Endpoint{Host: "h", Port: 443}},
			path: "/openai/deployments/d/chat/completions", hide: true,
		},
		"azure, a version before stream_options": {
			up: &snapshotv1.LlmUpstream{
				Provider: snapshotv1.LlmProvider_AZURE_OPENAI, DeploymentName: "d", ApiVersion: "2024-06-01",
				Endpoint: &snapshotv1.Endpoint{Host: "h", Port: 443},
			},
			path: "/openai/deployments/d/chat/completions",
		},
		"anthropic OpenAI-compatible API": {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_ANTHROPIC}, path: "/v1/chat/completions", hide: true},
		"anthropic messages API":          {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_ANTHROPIC}, path: "/v1/messages"},
		"mistral rejects the option":      {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_MISTRAL}, path: "/v1/chat/completions"},
		"gemini reports usage unasked":    {up: &snapshotv1.LlmUpstream{Provider: snapshotv1.LlmProvider_GEMINI}, path: "/v1beta/openai/chat/completions"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := Compile(tc.up)
			require.NoError(t, err)
			got, hide := a.PrepareUsage(tc.path, []byte(streamed))
			require.Equal(t, tc.hide, hide)
			if hide {
				require.JSONEq(t, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, string(got))
			} else {
				require.Equal(t, streamed, string(got))
			}
		})
	}
}

func TestPrepareUsageHeader(t *testing.T) {
	h := http.Header{"Accept-Encoding": {"gzip, br"}}
	PrepareUsageHeader(h)
	require.Equal(t, []string{"identity"}, h.Values("Accept-Encoding"))
}
