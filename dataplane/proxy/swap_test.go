package proxy_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// TestInFlightRequestSurvivesSwap: a stream that started on one snapshot finishes after
// the snapshot changed, even when its port is no longer served.
func TestInFlightRequestSurvivesSwap(t *testing.T) {
	gate := make(chan struct{})
	h := newHarness(t, fakellm.Config{StreamGate: gate, StreamChunks: 2})
	h.apply(tutorial(t, h.port, h.fake.HostPort(), false, false), false)

	resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader(`{"stream":true}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	_, err = rd.ReadString('\n')
	require.NoError(t, err)

	// New policy on the same port, then the port moves away entirely.
	h.apply(tutorial(t, h.port, h.fake.HostPort(), true, false), false)
	h.applyOnFreshPort(func(port uint32) *snapshotv1.Snapshot {
		s := tutorial(t, port, h.fake.HostPort(), true, false)
		s.Listeners[0].Name = "moved"
		return s
	})

	close(gate)
	rest, err := io.ReadAll(rd)
	require.NoError(t, err)
	require.Contains(t, string(rest), "data: [DONE]")
}
