package proxy_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestTutorial runs the access-control tutorial's table against a proxy whose snapshot
// file is rewritten between steps, as the controller would after each kubectl command.
func TestTutorial(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	body, err := tokens.ReadSeed("manifests/request.json")
	require.NoError(t, err)
	alice, bob := tokens.Alice(t), tokens.Bob(t)
	realm := `Bearer realm="` + h.base + `/openai"`

	steps := []struct {
		name              string
		jwt, rbac, asYAML bool
		token             string
		wantStatus        int
		wantBody          string
		wantChallenge     string
	}{
		{name: "00+10 no token", asYAML: true, wantStatus: 200},
		{name: "00+10+20 no token", jwt: true, wantStatus: 401, wantBody: "Jwt is missing", wantChallenge: realm},
		{name: "00+10+20 alice", jwt: true, token: alice, wantStatus: 200},
		{name: "00+10+20 bob", jwt: true, token: bob, wantStatus: 200},
		{
			name: "00+10+20 forged token", jwt: true, token: alice[:len(alice)-4] + "AAAA", wantStatus: 401,
			wantBody: "Jwt verification fails", wantChallenge: realm + `, error="invalid_token"`,
		},
		{name: "00+10+20+30 alice", jwt: true, rbac: true, token: alice, wantStatus: 200},
		{name: "00+10+20+30 bob", jwt: true, rbac: true, token: bob, wantStatus: 403, wantBody: "RBAC: access denied"},
		{name: "routeoption deleted, bob", jwt: true, token: bob, wantStatus: 200},
		{name: "virtualhostoption deleted, no token", wantStatus: 200},
	}
	for _, st := range steps {
		h.apply(tutorial(t, h.port, h.fake.HostPort(), st.jwt, st.rbac), st.asYAML)
		h.fake.Reset()
		resp, got := h.do(http.MethodPost, "/openai", st.token, body)
		require.Equal(t, st.wantStatus, resp.StatusCode, "%s: %s", st.name, got)
		if st.wantStatus != http.StatusOK {
			require.Equal(t, st.wantBody, got, st.name)
			require.Equal(t, "text/plain", resp.Header.Get("Content-Type"), st.name)
			require.Equal(t, st.wantChallenge, resp.Header.Get("Www-Authenticate"), st.name)
			_, reached := h.fake.Last()
			require.False(t, reached, "%s: the backend must not be reached", st.name)
			continue
		}
		var answer struct {
			Object string `json:"object"`
			Model  string `json:"model"`
		}
		require.NoError(t, json.Unmarshal([]byte(got), &answer), st.name)
		require.Equal(t, "chat.completion", answer.Object, st.name)
		require.Equal(t, "gpt-3.5-turbo", answer.Model, st.name)
		seen, ok := h.fake.Last()
		require.True(t, ok, st.name)
		require.Equal(t, "/v1/chat/completions", seen.Path, st.name)
		require.Equal(t, []string{"Bearer " + openaiKey}, seen.Header.Values("Authorization"), st.name)
		require.JSONEq(t, body, string(seen.Body), st.name)
		if st.token != "" {
			for k, vs := range seen.Header {
				for _, v := range vs {
					require.NotContains(t, v, st.token, "%s: client token forwarded in %s", st.name, k)
				}
			}
		}
	}
	log := h.access.String()
	require.Contains(t, log, `"decision":"denied_authz"`)
	require.Contains(t, log, `"sub":"bob"`)
	require.Contains(t, log, `"reason":"missing"`)
	require.NotContains(t, log, alice[:40])
	require.NotContains(t, log, openaiKey)
	m := h.metrics()
	require.Contains(t, m, `claimgate_proxy_requests_total{decision="denied_authz",reason="",route="`+openaiRoute+`",status="403"} 1`)
	require.True(t, strings.Contains(m, `claimgate_proxy_snapshot_info{gateway="gloo-system/ai-gateway",version="`+h.srv.Version()+`"} 1`), m)
}
