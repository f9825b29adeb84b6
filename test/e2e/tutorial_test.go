package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTutorial reproduces the access-control tutorial step by step, with its real tokens,
// through the real binaries, including the two kubectl deletes at the end.
func TestTutorial(t *testing.T) {
	alice, bob := token(t, "alice"), token(t, "bob")
	kubectl(t, "delete", "routeoption,virtualhostoption", "--all", "-n", "gloo-system", "--ignore-not-found")
	setup(t)

	t.Run("prerequisites: no token reaches the LLM with the provider key", func(t *testing.T) {
		st.LLM.Reset()
		a, _ := eventually(t, "", http.StatusOK)
		require.Contains(t, a.body, "chat.completion")
		req, ok := st.LLM.Last()
		require.True(t, ok, "the fake LLM received the request")
		require.Equal(t, "/v1/chat/completions", req.Path)
		require.Equal(t, "Bearer sk-test-openai-key", req.Header.Get("Authorization"))
	})

	t.Run("JWT provider: no token is 401", func(t *testing.T) {
		apply(t, "20-jwt-provider.yaml")
		a, took := eventually(t, "", http.StatusUnauthorized)
		t.Logf("apply → enforced (VirtualHostOption): %v", took)
		require.Equal(t, "Jwt is missing", a.body)
		require.Equal(t, `Bearer realm="`+gatewayURL()+`/openai"`, a.header.Get("Www-Authenticate"))
		require.True(t, strings.HasPrefix(a.header.Get("Content-Type"), "text/plain"))
	})

	t.Run("JWT provider: Alice and Bob are 200, their token is not forwarded", func(t *testing.T) {
		for _, tok := range []string{alice, bob} {
			st.LLM.Reset()
			a := chat(t, tok)
			require.Equal(t, http.StatusOK, a.status, a.body)
			req, ok := st.LLM.Last()
			require.True(t, ok)
			require.Equal(t, "Bearer sk-test-openai-key", req.Header.Get("Authorization"))
			for name, values := range req.Header {
				for _, v := range values {
					require.NotContains(t, v, tok, "header %s carries the client's token", name)
				}
			}
		}
	})

	t.Run("RBAC: Alice is 200, Bob is 403", func(t *testing.T) {
		apply(t, "30-openai-rbac.yaml")
		a, took := eventually(t, bob, http.StatusForbidden)
		t.Logf("apply → enforced (RouteOption): %v", took)
		require.Equal(t, "RBAC: access denied", a.body)
		require.Equal(t, http.StatusOK, chat(t, alice).status)
		require.Equal(t, http.StatusUnauthorized, chat(t, "").status)
	})

	t.Run("delete the RouteOption: Bob is 200", func(t *testing.T) {
		kubectl(t, "delete", "routeoption", "openai-opt", "-n", "gloo-system")
		_, took := eventually(t, bob, http.StatusOK)
		t.Logf("delete → enforced (RouteOption): %v", took)
	})

	t.Run("delete the VirtualHostOption: no token is 200", func(t *testing.T) {
		kubectl(t, "delete", "virtualhostoption", "jwt-provider", "-n", "gloo-system")
		_, took := eventually(t, "", http.StatusOK)
		t.Logf("delete → enforced (VirtualHostOption): %v", took)
	})
}
