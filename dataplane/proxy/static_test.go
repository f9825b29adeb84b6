package proxy_test

import (
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// TestStaticUpstreamRoundRobin: a static upstream's endpoints take requests in turn, and
// the client's Host header is kept.
func TestStaticUpstreamRoundRobin(t *testing.T) {
	var endpoints []*snapshotv1.Endpoint
	var fakes []*fakellm.Server
	for range 2 {
		f := fakellm.New(fakellm.Config{})
		f.Start()
		defer f.Close()
		host, port, err := net.SplitHostPort(f.HostPort())
		require.NoError(t, err)
		p, err := strconv.Atoi(port)
		require.NoError(t, err)
		endpoints = append(endpoints, &snapshotv1.Endpoint{Host: host, Port: uint32(p)})
		fakes = append(fakes, f)
	}
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	s.Upstreams[0].Kind = &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{Endpoints: endpoints}}
	h.apply(s, false)
	for range 6 {
		resp, body := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
	for i, f := range fakes {
		reqs := f.Requests()
		require.Len(t, reqs, 3, "endpoint %d", i)
		require.Equal(t, "127.0.0.1:"+itoa(h.port), reqs[0].Header.Get("Host"))
		require.Equal(t, "127.0.0.1", reqs[0].Header.Get("X-Forwarded-For"))
	}
}
