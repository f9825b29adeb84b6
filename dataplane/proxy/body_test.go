package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
)

// TestRequestBodiesReachTheUpstreamWhole sends bodies read into memory before forwarding
// (up to 64 KiB of declared length) and bodies streamed (larger, or of unknown length):
// the upstream receives each byte for byte, with its length.
func TestRequestBodiesReachTheUpstreamWhole(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(tutorial(t, h.port, h.fake.HostPort(), false, false), false)
	bodyOf := func(size int) string {
		head, tail := `{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"`, `"}]}`
		return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
	}
	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
	}{
		{"small", 200, false},
		{"64 KiB, the largest read first", 64 << 10, false},
		{"one byte over, streamed", 64<<10 + 1, false},
		{"1 MiB, streamed", 1 << 20, false},
		{"unknown length, streamed", 1000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.fake.Reset()
			body := bodyOf(tc.size)
			var reader io.Reader = strings.NewReader(body)
			if tc.chunked {
				reader = io.MultiReader(reader) // hides the length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, h.base+"/openai", reader)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			got := readAll(t, resp)
			require.Equal(t, http.StatusOK, resp.StatusCode, got)
			seen, ok := h.fake.Last()
			require.True(t, ok)
			require.Equal(t, body, string(seen.Body))
			if !tc.chunked {
				require.Equal(t, strconv.Itoa(tc.size), seen.Header.Get("Content-Length"))
			}
		})
	}
}

// TestTruncatedRequestBody declares a longer body than the client sends before it stops
// writing: the proxy answers 400 and says why, and the upstream is not reached.
func TestTruncatedRequestBody(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	h.apply(tutorial(t, h.port, h.fake.HostPort(), false, false), false)
	h.fake.Reset()
	conn := sendPartialBody(t, h)
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "cannot read request body", readAll(t, resp))
	require.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	_, reached := h.fake.Last()
	require.False(t, reached, "the upstream must not be reached")
}

// TestSlowRequestBodyMeetsTheRouteTimeout declares a body and sends part of it, then
// nothing: on a route with a timeout the proxy stops waiting at the timeout and answers
// 408, without reaching the upstream.
func TestSlowRequestBodyMeetsTheRouteTimeout(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	s.Listeners[0].VirtualHosts[0].Routes[0].Timeouts = &snapshotv1.Timeouts{Request: durationpb.New(300 * time.Millisecond)}
	h.apply(s, false)
	h.fake.Reset()
	conn := sendPartialBody(t, h)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	require.Equal(t, "request body not received in time", readAll(t, resp))
	require.Less(t, time.Since(start), 5*time.Second)
	_, reached := h.fake.Last()
	require.False(t, reached, "the upstream must not be reached")
}

// sendPartialBody opens a connection to the proxy and sends a POST to /openai declaring
// a 100-byte body, of which it sends 9 bytes.
func sendPartialBody(t *testing.T, h *harness) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.base, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /openai HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":")
	require.NoError(t, err)
	return conn
}
