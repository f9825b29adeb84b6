package h1_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/dataplane/h1"
)

// TestAnswersAreFramed reads answers of every framing and checks what the caller sees.
func TestAnswersAreFramed(t *testing.T) {
	cases := map[string]struct {
		method, answer string
		status         int
		body           string
		length         int64
		trailer        http.Header
		reused         bool
	}{
		"content-length":      {answer: "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", status: 200, body: "hello", length: 5, reused: true},
		"same length twice":   {answer: "HTTP/1.1 200 OK\nContent-Length: 2\nContent-Length: 2\n\nhi", status: 200, body: "hi", length: 2, reused: true},
		"empty":               {answer: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", status: 200, reused: true},
		"chunked":             {answer: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n2;ext=1\nde\n0\n\n", status: 200, body: "abcde", length: -1, reused: true},
		"chunked, lowercase":  {answer: "HTTP/1.1 200 OK\ntransfer-encoding: Chunked\n\n1\na\n0\n\n", status: 200, body: "a", length: -1, reused: true},
		"chunked, trailers":   {answer: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTrailer: X-Sum\n\n1\na\n0\nX-Sum: 7\n\n", status: 200, body: "a", length: -1, trailer: http.Header{"X-Sum": {"7"}}, reused: true},
		"close-delimited":     {answer: "HTTP/1.1 200 OK\n\nuntil the end", status: 200, body: "until the end", length: -1},
		"connection close":    {answer: "HTTP/1.1 200 OK\nConnection: close\nContent-Length: 1\n\nx", status: 200, body: "x", length: 1},
		"HTTP/1.0":            {answer: "HTTP/1.0 200 OK\nContent-Length: 1\n\nx", status: 200, body: "x", length: 1},
		"HTTP/1.0 keep-alive": {answer: "HTTP/1.0 200 OK\nConnection: keep-alive\nContent-Length: 1\n\nx", status: 200, body: "x", length: 1, reused: true},
		"no reason phrase":    {answer: "HTTP/1.1 200\nContent-Length: 1\n\nx", status: 200, body: "x", length: 1, reused: true},
		"bare LF lines":       {answer: "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", status: 200, body: "x", length: 1, reused: true},
		"204":                 {answer: "HTTP/1.1 204 No Content\n\n", status: 204, reused: true},
		"304 with length":     {answer: "HTTP/1.1 304 Not Modified\nContent-Length: 10\n\n", status: 304, reused: true},
		"HEAD with length":    {method: http.MethodHead, answer: "HTTP/1.1 200 OK\nContent-Length: 10\n\n", status: 200, length: 10, reused: true},
		"HEAD chunked":        {method: http.MethodHead, answer: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n", status: 200, length: -1, reused: true},
		"interim answers":     {answer: "HTTP/1.1 100 Continue\n\nHTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.1 200 OK\nContent-Length: 1\n\nx", status: 200, body: "x", length: 1, reused: true},
		"204 announcing body": {answer: "HTTP/1.1 204 No Content\nContent-Length: 3\n\n", status: 204},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			answer := strings.ReplaceAll(tc.answer, "\n", "\r\n")
			if name == "bare LF lines" {
				answer = tc.answer
			}
			serve := fixed(answer)
			if tc.length == -1 && tc.method == "" && !strings.Contains(strings.ToLower(answer), "chunked") {
				serve = func(c net.Conn, br *bufio.Reader) { // one answer, ended by the close
					if _, err := http.ReadRequest(br); err == nil {
						_, _ = io.WriteString(c, answer)
					}
				}
			}
			up := newRaw(t, serve)
			tr := h1.New(h1.Config{})
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			for range 2 {
				resp, body, err := send(t, tr, mustRequest(t, method, up.url(), nil))
				require.NoError(t, err)
				require.Equal(t, tc.status, resp.StatusCode)
				require.Equal(t, tc.body, body)
				require.Equal(t, tc.length, resp.ContentLength)
				require.Empty(t, resp.Header["Transfer-Encoding"])
				if tc.trailer != nil {
					require.Equal(t, tc.trailer, resp.Trailer)
				}
			}
			want := int32(2)
			if tc.reused {
				want = 1
			}
			require.Equal(t, want, up.accepts.Load(), "connections opened for two requests")
		})
	}
}

// TestInterimAnswersReachTheTrace: 1xx answers are passed to the request's trace, as
// the reverse proxy needs to forward them.
func TestInterimAnswersReachTheTrace(t *testing.T) {
	up := newRaw(t, fixed(crlf("HTTP/1.1 103 Early Hints\nLink: </style.css>\n\nHTTP/1.1 200 OK\nContent-Length: 0\n\n")))
	var got []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, h.Get("Link"))
		require.Equal(t, 103, code)
		return nil
	}}
	req := mustRequest(t, http.MethodGet, up.url(), nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, _, err := send(t, h1.New(h1.Config{}), req)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, []string{"</style.css>"}, got)
}

// TestConnectionReuse: a connection is pooled again only after an answer read whole;
// one whose body was closed early, or that carried more than its answer, is not.
func TestConnectionReuse(t *testing.T) {
	t.Run("partial read", func(t *testing.T) {
		up := newRaw(t, fixed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"))
		tr := h1.New(h1.Config{})
		resp, err := tr.RoundTrip(mustRequest(t, http.MethodGet, up.url(), nil))
		require.NoError(t, err)
		buf := make([]byte, 3)
		_, err = io.ReadFull(resp.Body, buf)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		_, body, err := get(t, tr, up.url())
		require.NoError(t, err)
		require.Equal(t, "0123456789", body)
		require.EqualValues(t, 2, up.accepts.Load())
	})
	t.Run("extra bytes after the answer", func(t *testing.T) {
		up := newRaw(t, fixed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfalse"))
		tr := h1.New(h1.Config{})
		for range 2 {
			_, body, err := get(t, tr, up.url())
			require.NoError(t, err)
			require.Equal(t, "x", body, "an answer no request asked for is never read as one")
		}
		require.EqualValues(t, 2, up.accepts.Load())
	})
	t.Run("upstream closed the idle connection", func(t *testing.T) {
		up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
			if _, err := http.ReadRequest(br); err == nil {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
			// and close: a keep-alive timeout of zero
		})
		tr := h1.New(h1.Config{})
		for range 3 {
			resp, body, err := send(t, tr, mustRequest(t, http.MethodPost, up.url(), strings.NewReader("{}")))
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, "ok", body)
			time.Sleep(20 * time.Millisecond) // the close arrives
		}
		require.EqualValues(t, 3, up.accepts.Load())
	})
	t.Run("idle timeout", func(t *testing.T) {
		up := newRaw(t, fixed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
		tr := h1.New(h1.Config{Limits: h1.Limits{IdleConnTimeout: 50 * time.Millisecond}})
		_, _, err := get(t, tr, up.url())
		require.NoError(t, err)
		time.Sleep(150 * time.Millisecond)
		_, _, err = get(t, tr, up.url())
		require.NoError(t, err)
		require.EqualValues(t, 2, up.accepts.Load())
	})
}

// TestStreamedEventsArriveOneByOne: a chunked event stream is read event by event, each
// as soon as the upstream sends it.
func TestStreamedEventsArriveOneByOne(t *testing.T) {
	next := make(chan struct{})
	up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
		for i := range 3 {
			<-next
			ev := "data: " + string(rune('a'+i)) + "\n\n"
			_, _ = io.WriteString(c, "9\r\n"+ev+"\r\n")
		}
		<-next
		_, _ = io.WriteString(c, "0\r\n\r\n")
	})
	resp, err := h1.New(h1.Config{}).RoundTrip(mustRequest(t, http.MethodGet, up.url(), nil))
	require.NoError(t, err)
	buf := make([]byte, 1024)
	for i := range 3 {
		next <- struct{}{}
		n, err := resp.Body.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "data: "+string(rune('a'+i))+"\n\n", string(buf[:n]))
	}
	next <- struct{}{}
	_, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
}

// TestRequestsAsWritten checks what reaches the upstream: framing of every kind of
// body, Host, the fields the client writes itself and those it refuses to write.
func TestRequestsAsWritten(t *testing.T) {
	seen := make(chan *http.Request, 1)
	bodies := make(chan string, 1)
	up := newRaw(t, answering(func(req *http.Request, body string) string {
		seen <- req
		bodies <- body
		return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	}))
	tr := h1.New(h1.Config{})
	big := strings.Repeat("b", 300<<10)
	cases := map[string]struct {
		body       io.Reader
		length     int64
		want       string
		chunked    bool
		wantLength int64
	}{
		"in memory":     {body: strings.NewReader("{}"), length: 2, want: "{}", wantLength: 2},
		"large":         {body: strings.NewReader(big), length: int64(len(big)), want: big, wantLength: int64(len(big))},
		"unknown":       {body: io.NopCloser(strings.NewReader("stream")), length: -1, want: "stream", chunked: true, wantLength: -1},
		"known, opaque": {body: io.NopCloser(strings.NewReader("opaque")), length: 6, want: "opaque", wantLength: 6},
		"none":          {wantLength: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := mustRequest(t, http.MethodPost, up.url()+"/v1/chat?x=1", tc.body)
			req.ContentLength = tc.length
			req.Host = "api.example"
			req.Header.Set("X-Trace", "  padded  ")
			req.Header.Set("Content-Length", "999") // never sent: the client frames the body
			_, _, err := send(t, tr, req)
			require.NoError(t, err)
			got := <-seen
			require.Equal(t, tc.want, <-bodies)
			require.Equal(t, "/v1/chat?x=1", got.RequestURI)
			require.Equal(t, "api.example", got.Host)
			require.Equal(t, "padded", got.Header.Get("X-Trace"))
			require.Equal(t, "Go-http-client/1.1", got.Header.Get("User-Agent"))
			require.Equal(t, tc.wantLength, got.ContentLength)
			require.Equal(t, tc.chunked, len(got.TransferEncoding) == 1)
		})
	}
	t.Run("field injection", func(t *testing.T) {
		req := mustRequest(t, http.MethodGet, up.url(), nil)
		req.Header["X-Evil"] = []string{"a\r\nX-Injected: 1"}
		_, err := tr.RoundTrip(req)
		require.Error(t, err)
		req = mustRequest(t, http.MethodGet, up.url(), nil)
		req.Header["Bad Name"] = []string{"a"}
		_, err = tr.RoundTrip(req)
		require.Error(t, err)
		req = mustRequest(t, http.MethodGet, up.url(), nil)
		req.Host = "a\r\nX: b"
		_, err = tr.RoundTrip(req)
		require.Error(t, err)
	})
}

// TestTLSWithALPN reaches a TLS upstream offering http/1.1 by ALPN, and leaves an
// upgrade request to the fallback.
func TestTLSWithALPN(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto+" "+r.TLS.NegotiatedProtocol+" "+r.Header.Get("Upgrade"))
	}))
	srv.EnableHTTP2 = false
	srv.StartTLS()
	defer srv.Close()
	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	fallback := &http.Transport{TLSClientConfig: cfg}
	tr := h1.New(h1.Config{TLS: cfg, Fallback: fallback})
	defer tr.CloseIdleConnections()
	_, body, err := get(t, tr, srv.URL)
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 http/1.1 ", body)

	req := mustRequest(t, http.MethodGet, srv.URL, nil)
	req.Header.Set("Upgrade", "h2c")
	req.Header.Set("Connection", "Upgrade")
	resp, body, err := send(t, tr, req)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "HTTP/1.1 http/1.1 h2c", body)

	_, err = h1.New(h1.Config{TLS: &tls.Config{MinVersion: tls.VersionTLS12}}).RoundTrip(mustRequest(t, http.MethodGet, "http://"+srv.Listener.Addr().String(), nil))
	require.Error(t, err, "a TLS client refuses a plain URL")
}

// TestEndComesWithTheLastBytes: the read that returns a body's last bytes also returns
// io.EOF, as net/http's transport does, so a reader acting at the end (the proxy's
// metering) acts before the caller passes those bytes on.
func TestEndComesWithTheLastBytes(t *testing.T) {
	for name, answer := range map[string]string{
		"content-length": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"chunked":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			up := newRaw(t, fixed(answer))
			resp, err := h1.New(h1.Config{}).RoundTrip(mustRequest(t, http.MethodGet, up.url(), nil))
			require.NoError(t, err)
			time.Sleep(20 * time.Millisecond) // the whole answer has arrived
			buf := make([]byte, 64)
			n, err := resp.Body.Read(buf)
			require.Equal(t, "hello", string(buf[:n]))
			require.ErrorIs(t, err, io.EOF)
		})
	}
}
