package h1_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/dataplane/h1"
)

// TestMalformedAnswersAreErrors sends answers that are not valid HTTP/1.1, or frame
// their body ambiguously (the shapes of response smuggling): each is an error, which
// the reverse proxy answers with 502, and its connection is never reused.
func TestMalformedAnswersAreErrors(t *testing.T) {
	cases := map[string]string{
		"content-length and transfer-encoding": "HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked\n\n0\n\n",
		"differing content-lengths":            "HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 4\n\nabcd",
		"content-length list":                  "HTTP/1.1 200 OK\nContent-Length: 3, 3\n\nabc",
		"signed content-length":                "HTTP/1.1 200 OK\nContent-Length: +3\n\nabc",
		"negative content-length":              "HTTP/1.1 200 OK\nContent-Length: -1\n\n",
		"huge content-length":                  "HTTP/1.1 200 OK\nContent-Length: 99999999999999999999\n\n",
		"transfer coding not chunked":          "HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\n\n0\n\n",
		"chunked twice":                        "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n0\n\n",
		"transfer-encoding in HTTP/1.0":        "HTTP/1.0 200 OK\nTransfer-Encoding: chunked\n\n0\n\n",
		"obs-fold":                             "HTTP/1.1 200 OK\nX-A: a\n b\nContent-Length: 0\n\n",
		"NUL in a value":                       "HTTP/1.1 200 OK\nX-A: a\x00b\nContent-Length: 0\n\n",
		"bare CR in a value":                   "HTTP/1.1 200 OK\nX-A: a\rContent-Length: 5\nContent-Length: 0\n\n",
		"space before the colon":               "HTTP/1.1 200 OK\nContent-Length : 0\n\n",
		"space in a name":                      "HTTP/1.1 200 OK\nX A: b\nContent-Length: 0\n\n",
		"line without colon":                   "HTTP/1.1 200 OK\nnonsense\nContent-Length: 0\n\n",
		"HTTP/2 status line":                   "HTTP/2.0 200 OK\nContent-Length: 0\n\n",
		"two-digit status":                     "HTTP/1.1 20 OK\nContent-Length: 0\n\n",
		"status 600":                           "HTTP/1.1 600 Nope\nContent-Length: 0\n\n",
		"not HTTP":                             "ICY 200 OK\n\n",
		"empty first line":                     "\nHTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"control byte in the reason":           "HTTP/1.1 200 O\x01K\nContent-Length: 0\n\n",
		"unsolicited 101":                      "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n",
		"too many 1xx":                         strings.Repeat("HTTP/1.1 102 Processing\n\n", 6) + "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"head too large":                       "HTTP/1.1 200 OK\nX-A: " + strings.Repeat("a", 5000) + "\nContent-Length: 0\n\n",
		"forbidden trailer":                    "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTrailer: Content-Length\n\n0\n\n",
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			up := newRaw(t, fixed(crlf(answer)))
			tr := h1.New(h1.Config{MaxResponseHeaderBytes: 4096})
			_, _, err := get(t, tr, up.url())
			require.ErrorIs(t, err, h1.ErrMalformed)
			// The next request gets a connection of its own.
			_, _, _ = get(t, tr, up.url())
			require.EqualValues(t, 2, up.accepts.Load())
		})
	}
}

// TestMalformedBodiesAreErrors sends heads that are fine and bodies that are not: the
// body's reader sees an error, and the connection is closed.
func TestMalformedBodiesAreErrors(t *testing.T) {
	cases := map[string]string{
		"bad chunk size":          "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\nabc\n0\n\n",
		"chunk without its CRLF":  "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabcX\n0\n\n",
		"short content-length":    "HTTP/1.1 200 OK\nContent-Length: 10\n\nabc",
		"chunked cut short":       "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n",
		"trailer with a bad line": "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\nbad trailer\n\n",
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
				if _, err := http.ReadRequest(br); err == nil {
					_, _ = io.WriteString(c, crlf(answer))
				}
			})
			tr := h1.New(h1.Config{})
			resp, _, err := get(t, tr, up.url())
			require.Error(t, err)
			require.Equal(t, 200, resp.StatusCode)
		})
	}
}

// TestSlowHeadTimesOut: an upstream that reads the request and never answers ends the
// exchange at the response-header timeout, with an error that reports a timeout.
func TestSlowHeadTimesOut(t *testing.T) {
	up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200") // a head begun, never finished
		time.Sleep(2 * time.Second)
	})
	tr := h1.New(h1.Config{Limits: h1.Limits{ResponseHeaderTimeout: 100 * time.Millisecond}})
	start := time.Now()
	_, _, err := get(t, tr, up.url())
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
	require.Less(t, time.Since(start), time.Second)
}

// TestEarlyClose: an upstream that closes after reading the request gives an error
// (never an answer), and one that closes mid-body a body error.
func TestEarlyClose(t *testing.T) {
	up := newRaw(t, func(_ net.Conn, br *bufio.Reader) { _, _ = http.ReadRequest(br) })
	_, _, err := get(t, h1.New(h1.Config{}), up.url())
	require.Error(t, err)

	up = newRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
	})
	resp, body, err := get(t, h1.New(h1.Config{}), up.url())
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "partial", body)
}

// TestCancelWhileWaiting: the caller's context ending while the upstream has not
// answered ends the exchange at once, with the context's error.
func TestCancelWhileWaiting(t *testing.T) {
	closed := make(chan struct{})
	up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = br.ReadByte() // returns once the client closes the connection
		close(closed)
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	req := mustRequest(t, http.MethodGet, up.url(), nil).WithContext(ctx)
	_, err := h1.New(h1.Config{}).RoundTrip(req)
	require.ErrorIs(t, err, context.Canceled)
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("the upstream connection was not closed")
	}
}

// TestCancelWhileStreaming: a client going away mid-answer closes the upstream
// connection and fails the body's read.
func TestCancelWhileStreaming(t *testing.T) {
	closed := make(chan struct{})
	up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndata:1\r\n")
		_, _ = br.ReadByte()
		close(closed)
	})
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := h1.New(h1.Config{}).RoundTrip(mustRequest(t, http.MethodGet, up.url(), nil).WithContext(ctx))
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "data:1", string(buf[:n]))
	cancel()
	_, err = resp.Body.Read(buf)
	require.ErrorIs(t, err, context.Canceled)
	<-closed
}

// TestEarlyAnswerToStreamedBody: an upstream answering before it read a streamed body
// (and closing) is an answer, not an error.
func TestEarlyAnswerToStreamedBody(t *testing.T) {
	up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!")
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write([]byte("start of a body that never ends")) }()
	resp, body, err := send(t, h1.New(h1.Config{}), mustRequest(t, http.MethodPost, up.url(), pr))
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Equal(t, "big!", body)
}

// TestBrokenRequestBody: a request body failing to be read (the client's upload broke
// off) fails the exchange with that error.
func TestBrokenRequestBody(t *testing.T) {
	up := newRaw(t, fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	broken := errors.New("client went away")
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte("some")); pw.CloseWithError(broken) }()
	_, err := h1.New(h1.Config{}).RoundTrip(mustRequest(t, http.MethodPost, up.url(), pr))
	require.ErrorIs(t, err, broken)
}
