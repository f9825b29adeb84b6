package proxy_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// modelRbac is the tutorial's RBAC with the model the request asks for in place of the
// fixed gpt-3.5-turbo: llms.openai must list it.
func modelRbac() *snapshotv1.Rbac {
	r := tutorialRbac()
	r.Policies[0].Principals[0].JwtPrincipal.Claims = []*snapshotv1.Claim{{Key: "llms.openai", RequestModel: true}}
	return r
}

// modelProxy serves the tutorial's /openai route and a /v1 route to the same provider,
// both authorizing the request's model against the caller's llms.openai claim.
func modelProxy(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), true, false)
	routes := &s.Listeners[0].VirtualHosts[0].Routes
	(*routes)[0].Rbac = modelRbac()
	*routes = append(*routes, &snapshotv1.Route{
		Name:     "gloo-system/v1/rule/0/match/0",
		Match:    &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/v1"}},
		Backends: []*snapshotv1.WeightedBackend{{Upstream: openaiUpstream, Weight: 1}},
		Jwt:      jwtOf(providerID), Rbac: modelRbac(),
	})
	h.apply(s, false)
	return h
}

func chatBody(model string, stream bool) string {
	return `{"model":"` + model + `","stream":` + strconv.FormatBool(stream) + `,"messages":[{"role":"user","content":"hi"}]}`
}

// TestModelAwareAuthorization: the model a request asks for must be one the caller's
// claim lists: Alice (llms.openai: gpt-3.5-turbo) may use gpt-3.5-turbo, streamed or
// not, but not gpt-4o; Bob (no llms.openai) neither; a body naming no model is denied.
// Denials carry the RBAC body and never reach the provider, which receives allowed
// bodies unchanged.
func TestModelAwareAuthorization(t *testing.T) {
	h := modelProxy(t)
	alice, bob := tokens.Alice(t), tokens.Bob(t)
	for _, stream := range []bool{false, true} {
		resp, got := h.do(http.MethodPost, "/openai", alice, chatBody("gpt-3.5-turbo", stream))
		require.Equal(t, http.StatusOK, resp.StatusCode, got)
		resp, got = h.do(http.MethodPost, "/openai", alice, chatBody("gpt-4o", stream))
		require.Equal(t, http.StatusForbidden, resp.StatusCode, got)
		require.Equal(t, authz.DenyBody, got)
		resp, _ = h.do(http.MethodPost, "/openai", bob, chatBody("gpt-3.5-turbo", stream))
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	// A body naming two models (providers read the last) or cut short names none.
	for _, body := range []string{
		`{"messages":[]}`, `not json`, ``, `{"model":["gpt-3.5-turbo"]}`,
		`{"model":"gpt-3.5-turbo","messages":[],"model":"gpt-4o"}`, `{"model":"gpt-3.5-turbo","messages":[`,
	} {
		resp, got := h.do(http.MethodPost, "/openai", alice, body)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%q: %s", body, got)
	}
	reqs := h.fake.Requests()
	require.Len(t, reqs, 2, "only the allowed requests reached the provider")
	require.JSONEq(t, chatBody("gpt-3.5-turbo", false), string(reqs[0].Body))

	// The model in the path (Gemini's and Azure's native APIs, model retrieval).
	resp, _ := h.do(http.MethodPost, "/v1/models/gpt-4o:generateContent", alice, `{"contents":[]}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = h.do(http.MethodGet, "/v1/models/gpt-4o", alice, "")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	azure := `{"messages":[{"role":"user","content":"hi"}]}` // Azure's body names no model
	resp, _ = h.do(http.MethodPost, "/v1/openai/deployments/gpt-3.5-turbo/chat/completions", alice, azure)
	require.NotEqual(t, http.StatusForbidden, resp.StatusCode, "the deployment in the path is the model")
	reqs = h.fake.Requests()
	require.Equal(t, "/v1/openai/deployments/gpt-3.5-turbo/chat/completions", reqs[len(reqs)-1].Path, "it reached the provider")

	// A path naming an allowed model does not vouch for a body asking another: the
	// /openai route sends every request to /v1/chat/completions, whatever its path.
	resp, got := h.do(http.MethodPost, "/openai/models/gpt-3.5-turbo:generateContent", alice, chatBody("gpt-4o", false))
	require.Equal(t, http.StatusForbidden, resp.StatusCode, got)
	require.Equal(t, authz.DenyBody, got)
	require.Len(t, h.fake.Requests(), len(reqs), "the provider never saw it")
}

// TestModelListFiltered: GET /v1/models shows a caller only the models it may use; a
// caller whose claim names none is denied.
func TestModelListFiltered(t *testing.T) {
	h := modelProxy(t)
	resp, got := h.do(http.MethodGet, "/v1/models", tokens.Alice(t), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(got), &list))
	require.Equal(t, "list", list.Object, "the other members stand")
	require.Len(t, list.Data, 1)
	require.Equal(t, "gpt-3.5-turbo", list.Data[0].ID, "gpt-4o is not Alice's")
	require.Equal(t, strconv.Itoa(len(got)), resp.Header.Get("Content-Length"))

	resp, _ = h.do(http.MethodGet, "/v1/models", tokens.Bob(t), "")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// TestModelRawClients: the model is read from a chunked body sent over a raw socket in
// pieces, header names in odd case, and the decision is the same; a denial, its body
// read whole, keeps the connection for the next request.
func TestModelRawClients(t *testing.T) {
	h := modelProxy(t)
	alice := tokens.Alice(t)
	c := h.dialRaw()
	for _, tc := range []struct {
		model string
		want  int
	}{{"gpt-4o", http.StatusForbidden}, {"gpt-3.5-turbo", http.StatusOK}, {"gpt-4o", http.StatusForbidden}} {
		body := chatBody(tc.model, false)
		cut := strings.Index(body, tc.model) + 3 // the model split across two chunks
		c.send("POST /openai HTTP/1.1\r\nhOsT: x\r\naUtHoRiZaTiOn: Bearer " + alice + "\r\ntransfer-ENCODING: chunked\r\n\r\n" +
			strconv.FormatInt(int64(cut), 16) + "\r\n" + body[:cut] + "\r\n" +
			strconv.FormatInt(int64(len(body)-cut), 16) + "\r\n" + body[cut:] + "\r\n0\r\n\r\n")
		resp, got := c.read()
		require.Equal(t, tc.want, resp.StatusCode, "%s: %s", tc.model, got)
		require.Empty(t, resp.Header.Get("Connection"), "the connection is kept")
	}
	require.Len(t, h.fake.Requests(), 1, "only the allowed model reached the provider")
}
