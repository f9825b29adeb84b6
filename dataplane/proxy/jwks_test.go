package proxy_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestRemoteJWKSOutageKeepsTheLastGoodKeys: once fetched, a remote key set keeps
// verifying tokens while its server is down.
func TestRemoteJWKSOutageKeepsTheLastGoodKeys(t *testing.T) {
	key := tokens.NewRSA(t, "k1", "RS256")
	jwks := tokens.ServeJWKS(t, key)
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), true, true)
	s.JwtProviders[0].KeySource = &snapshotv1.JwtProvider_RemoteJwks{RemoteJwks: &snapshotv1.RemoteJwks{
		Url: jwks.URL, CacheDuration: durationpb.New(50 * time.Millisecond),
	}}
	h.apply(s, false)

	allowed := key.Mint(t, map[string]any{"iss": "solo.io", "sub": "carol", "llms": map[string]any{"openai": []any{"gpt-3.5-turbo"}}})
	denied := key.Mint(t, map[string]any{"iss": "solo.io", "sub": "dave", "llms": map[string]any{"openai": []any{"gpt-4"}}})
	check := func(when string) {
		resp, body := h.do(http.MethodPost, "/openai", allowed, `{"model":"m"}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", when, body)
		resp, body = h.do(http.MethodPost, "/openai", denied, `{"model":"m"}`)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s: %s", when, body)
		resp, body = h.do(http.MethodPost, "/openai", tokens.Alice(t), `{"model":"m"}`)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %s", when, body)
	}
	check("JWKS up")
	hits := jwks.Hits()
	require.Positive(t, hits)

	jwks.SetFailing(true)
	require.Eventually(t, func() bool { return jwks.Hits() > hits }, 5*time.Second, 10*time.Millisecond, "no refresh attempted")
	check("JWKS down")
	// A token never seen before still verifies with the last good set.
	fresh := key.Mint(t, map[string]any{"iss": "solo.io", "sub": "erin", "llms": map[string]any{"openai": []any{"gpt-3.5-turbo"}}})
	resp, body := h.do(http.MethodPost, "/openai", fresh, `{"model":"m"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
}
