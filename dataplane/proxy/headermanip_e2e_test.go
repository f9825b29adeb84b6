package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func addHeader(name, value string, appendValue bool) *snapshotv1.HeaderValueOption {
	return &snapshotv1.HeaderValueOption{Name: name, Value: value, Append: appendValue}
}

// TestHeaderManipulationReachesUpstream: removals, then additions (append and replace),
// on the request the upstream receives, after the route's header filter and the claim
// headers; a client's own claim header never gets through.
func TestHeaderManipulationReachesUpstream(t *testing.T) {
	hp := newHardenedProxy(t)
	s := hardened(t, hp.port, hp.backend, hp.key)
	public := s.Listeners[0].VirtualHosts[0].Routes[1]
	public.HeaderManipulation = &snapshotv1.HeaderManipulation{
		RequestHeadersToRemove: []string{"x-drop", "x-replace"},
		RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{
			addHeader("x-append", "three", true), addHeader("x-replace", "new", false),
			addHeader("x-route", "by-option", false), addHeader("x-team", "operator", true),
		},
	}
	hp.apply(s, false)

	// Duplicated headers in odd spellings, and the client's own claim header.
	got := hp.forward("GET /public HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice +
		"\r\nx-append: one\r\nX-APPEND: two\r\nX-Drop: d\r\nx-replace: old\r\nX-Keep: k\r\nx-team: platform\r\n\r\n")
	require.Equal(t, []string{"one", "two", "three"}, got.header("X-Append"))
	require.Equal(t, []string{"new"}, got.header("X-Replace"))
	require.Empty(t, got.header("X-Drop"))
	require.Equal(t, []string{"k"}, got.header("X-Keep"))
	require.Equal(t, []string{"by-option"}, got.header("X-Route"), "after the route's header filter")
	require.Equal(t, []string{"dev", "operator"}, got.header("X-Team"), "the claim, then the operator's value; never the client's")
	require.Equal(t, []string{"alice"}, got.header("X-User-Id"))
}

// TestHeaderManipulationOnAnswers: response removals and additions apply to the
// upstream's answer and to the route's direct responses, not to a 401 the proxy gives
// before the route runs.
func TestHeaderManipulationOnAnswers(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["X-Upstream-Secret"] = []string{"s"}
		w.Header()["X-Multi"] = []string{"a"}
		w.Header()["X-Served-By"] = []string{"upstream"}
		_, _ = w.Write([]byte("ok"))
	}))
	defer backend.Close()
	hp := newHardenedProxy(t)
	s := hardened(t, hp.port, hp.backend, hp.key)
	s.Upstreams[0].GetStatic().Endpoints[0].Port = portOf(t, backend.URL)
	hm := &snapshotv1.HeaderManipulation{
		ResponseHeadersToRemove: []string{"x-upstream-secret"},
		ResponseHeadersToAdd: []*snapshotv1.HeaderValueOption{
			addHeader("x-multi", "b", true), addHeader("x-served-by", "claimgate", false),
		},
	}
	routes := s.Listeners[0].VirtualHosts[0].Routes
	routes[1].HeaderManipulation = hm // public: JWT
	routes[4].HeaderManipulation = hm // by-team: direct response
	routes[5].HeaderManipulation = hm // open
	hp.apply(s, false)

	resp, body := hp.do(http.MethodGet, "/", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Empty(t, resp.Header.Values("X-Upstream-Secret"))
	require.Equal(t, []string{"a", "b"}, resp.Header.Values("X-Multi"))
	require.Equal(t, []string{"claimgate"}, resp.Header.Values("X-Served-By"))

	direct := s.Listeners[0].VirtualHosts[0].Routes[4]
	direct.Match.Headers = []*snapshotv1.ValueMatch{{Name: "X-Direct", Value: "1"}}
	hp.apply(s, false)
	req, err := http.NewRequest(http.MethodGet, hp.base+"/", nil)
	require.NoError(t, err)
	req.Header.Set("X-Direct", "1")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, "platform route", readAll(t, resp))
	resp.Body.Close()
	require.Equal(t, []string{"b"}, resp.Header.Values("X-Multi"))
	require.Equal(t, []string{"claimgate"}, resp.Header.Values("X-Served-By"))

	resp, _ = hp.do(http.MethodGet, "/public", "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Empty(t, resp.Header.Values("X-Served-By"), "a 401 is the proxy's answer before the route runs")
}

// TestHeaderManipulationRejectsSnapshot: a refused header rejects the snapshot with an
// error naming the route.
func TestHeaderManipulationRejectsSnapshot(t *testing.T) {
	hp := newHardenedProxy(t)
	s := hardened(t, hp.port, hp.backend, hp.key)
	s.Listeners[0].VirtualHosts[0].Routes[1].HeaderManipulation = &snapshotv1.HeaderManipulation{
		RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{addHeader("x-a", "v\r\nx-b: injected", true)},
	}
	require.NoError(t, snapshotv1.SetVersion(s))
	err := hp.srv.Apply(s)
	require.ErrorContains(t, err, "route public: header manipulation: request: headers to add: X-A: value has a control character")
}
