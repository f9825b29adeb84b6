package proxy_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// TestStreamingArrivesEventByEvent proves the proxy does not buffer a stream: the client
// reads the first event while the backend still holds back the last one.
func TestStreamingArrivesEventByEvent(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			gate := make(chan struct{})
			h := newHarness(t, fakellm.Config{StreamGate: gate, StreamChunks: 3})
			h.apply(tutorial(t, h.port, h.fake.HostPort(), true, true), false)

			tr := clientTransport(proto)
			defer tr.CloseIdleConnections()
			req := streamRequest(t, h.base)
			req.Header.Set("Authorization", "Bearer "+tokens.Alice(t))
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
			if proto == "h2c" {
				require.Equal(t, 2, resp.ProtoMajor)
			}

			rd := bufio.NewReader(resp.Body)
			first, err := rd.ReadString('\n')
			require.NoError(t, err, "first event must arrive before the backend sends the last")
			require.Contains(t, first, `"content":"word0 "`)
			close(gate)
			rest, err := io.ReadAll(rd)
			require.NoError(t, err)
			require.Contains(t, string(rest), "word2")
			require.True(t, strings.HasSuffix(string(rest), "data: [DONE]\n\n"))
		})
	}
}

// TestClientDisconnectCancelsUpstream: when the client hangs up mid-stream, the backend's
// request ends too, and the proxy records a 499.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	upstreamDone := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {}\n\n")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			close(upstreamDone)
		case <-time.After(10 * time.Second):
		}
	}))
	defer backend.Close()
	h := newHarness(t, fakellm.Config{})
	h.apply(tutorial(t, h.port, strings.TrimPrefix(backend.URL, "http://"), false, false), false)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/openai", strings.NewReader(`{"stream":true}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, err = bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	cancel()
	resp.Body.Close()
	select {
	case <-upstreamDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not cancelled")
	}
	require.Eventually(t, func() bool {
		return strings.Contains(h.access.String(), `"status":499`)
	}, 5*time.Second, 10*time.Millisecond, "no 499 in the access log: %s", h.access.String())
}

// TestRequestTimeoutCutsALongStream: a stream that outlives the route's request timeout is
// cut, and the access log says why.
func TestRequestTimeoutCutsALongStream(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	h := newHarness(t, fakellm.Config{StreamGate: gate, StreamChunks: 2})
	s := tutorial(t, h.port, h.fake.HostPort(), false, false)
	s.Listeners[0].VirtualHosts[0].Routes[0].Timeouts = &snapshotv1.Timeouts{Request: durationpb.New(200 * time.Millisecond)}
	h.apply(s, false)
	resp, err := http.Post(h.base+"/openai", "application/json", strings.NewReader(`{"stream":true}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	start := time.Now()
	_, err = io.ReadAll(resp.Body)
	require.Error(t, err, "the stream must be cut, not completed")
	require.Less(t, time.Since(start), 5*time.Second)
	require.Eventually(t, func() bool {
		return strings.Contains(h.access.String(), `"decision":"upstream_error","reason":"timeout"`)
	}, 5*time.Second, 10*time.Millisecond, h.access.String())
}

// TestStreamHeadArrivesBeforeFirstEvent: the head of a server-sent event stream reaches
// the client as soon as the upstream sent it, before any event, over HTTP/1.1 and h2c;
// the event follows once the upstream sends it.
func TestStreamHeadArrivesBeforeFirstEvent(t *testing.T) {
	release := make(chan struct{}) // each send lets one waiting answer send its event
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "data: {\"choices\":[]}\n\n")
	}))
	defer upstream.Close()
	h := newHarness(t, fakellm.Config{})
	h.apply(tutorial(t, h.port, strings.TrimPrefix(upstream.URL, "http://"), false, false), false)
	base := h.base
	for _, proto := range []string{"HTTP/1.1", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			tr := clientTransport(proto)
			defer tr.CloseIdleConnections()
			resp, err := tr.RoundTrip(streamRequest(t, base)) // returns with the head, while the upstream waits
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
			release <- struct{}{}
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, "data: {\"choices\":[]}\n\n", string(body))
		})
	}
	t.Run("raw HTTP/1.1", func(t *testing.T) {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
		const body = `{"model":"gpt-3.5-turbo","stream":true,"messages":[]}`
		_, err = io.WriteString(c, "POST /openai HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"+
			"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		require.NoError(t, err)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil) // the head alone, while the upstream waits
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, []string{"chunked"}, resp.TransferEncoding)
		require.Zero(t, br.Buffered(), "nothing but the head came before the event")
		release <- struct{}{}
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, "data: {\"choices\":[]}\n\n", string(got))
	})
}

// clientTransport is a client transport speaking proto: HTTP/1.1, or h2c (prior
// knowledge).
func clientTransport(proto string) *http.Transport {
	tr := &http.Transport{}
	if proto == "h2c" {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	return tr
}

// streamRequest is a streamed chat request to base's /openai, given up after 10s.
func streamRequest(t *testing.T, base string) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/openai",
		strings.NewReader(`{"model":"gpt-3.5-turbo","stream":true,"messages":[]}`))
	require.NoError(t, err)
	return req
}
