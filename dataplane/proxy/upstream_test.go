package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

func TestUpstreamFailures(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the proxy hanging up
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	closedPort := freePort(t)

	tests := map[string]struct {
		mutate     func(s *snapshotv1.Snapshot)
		body       string
		wantStatus int
		wantBody   string
		wantModel  string
	}{
		"connection refused is 503": {
			mutate: func(s *snapshotv1.Snapshot) {
				s.Upstreams[0].GetLlm().Endpoint.Port = closedPort
			},
			wantStatus: 503, wantBody: "upstream connect error or disconnect/reset before headers",
		},
		"backend timeout is 504": {
			mutate: func(s *snapshotv1.Snapshot) {
				s.Upstreams[0].GetLlm().Endpoint.Port = portOf(t, slow.URL)
				s.Listeners[0].VirtualHosts[0].Routes[0].Timeouts = &snapshotv1.Timeouts{BackendRequest: durationpb.New(100 * time.Millisecond)}
			},
			wantStatus: 504, wantBody: "upstream request timeout",
		},
		"model override rewrites the body": {
			mutate:     func(s *snapshotv1.Snapshot) { s.Upstreams[0].GetLlm().Model = "gpt-4o" },
			body:       `{"model":"gpt-3.5-turbo","messages":[]}`,
			wantStatus: 200, wantBody: `"model":"gpt-4o"`, wantModel: "gpt-4o",
		},
		"model override bounds the body": {
			mutate:     func(s *snapshotv1.Snapshot) { s.Upstreams[0].GetLlm().Model = "gpt-4o" },
			body:       `{"model":"` + strings.Repeat("x", 11<<20) + `"}`,
			wantStatus: 413, wantBody: "request body too large",
		},
		"static upstream": {
			mutate: func(s *snapshotv1.Snapshot) {
				host, port := s.Upstreams[0].GetLlm().GetEndpoint().GetHost(), s.Upstreams[0].GetLlm().GetEndpoint().GetPort()
				s.Upstreams[0].Kind = &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
					Endpoints: []*snapshotv1.Endpoint{{Host: host, Port: port}, {Host: host, Port: port}},
				}}
			},
			body: `{"model":"m"}`, wantStatus: 200, wantBody: `"model":"m"`,
		},
	}
	h := newHarness(t, fakellm.Config{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := tutorial(t, h.port, h.fake.HostPort(), false, false)
			tc.mutate(s)
			h.apply(s, false)
			h.fake.Reset()
			body := tc.body
			if body == "" {
				body = `{"model":"m"}`
			}
			resp, got := h.do(http.MethodPost, "/openai", "", body)
			require.Equal(t, tc.wantStatus, resp.StatusCode, got)
			require.Contains(t, got, tc.wantBody)
			require.NotContains(t, got, openaiKey)
			if tc.wantModel != "" {
				seen, ok := h.fake.Last()
				require.True(t, ok)
				require.JSONEq(t, `{"model":"`+tc.wantModel+`","messages":[]}`, string(seen.Body))
			}
		})
	}
}

func portOf(t testing.TB, rawURL string) uint32 {
	t.Helper()
	i := strings.LastIndexByte(rawURL, ':')
	require.Positive(t, i)
	var p uint32
	for _, c := range rawURL[i+1:] {
		p = p*10 + uint32(c-'0')
	}
	return p
}
