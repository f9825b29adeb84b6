package h1_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawUpstream is a hand-written upstream on a loopback port: every connection it
// accepts is handed to serve, which writes whatever bytes the test wants.
type rawUpstream struct {
	ln      net.Listener
	accepts atomic.Int32
	wg      sync.WaitGroup
}

func newRaw(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := &rawUpstream{ln: ln}
	var conns sync.Map
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.accepts.Add(1)
			conns.Store(c, true)
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
		u.wg.Wait()
	})
	return u
}

func (u *rawUpstream) url() string { return "http://" + u.ln.Addr().String() }

// answering serves every request of a connection with answer(req), reading the
// request's body first; it stops at the first request it cannot read.
func answering(answer func(req *http.Request, body string) string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return
			}
			if _, err := io.WriteString(c, answer(req, string(b))); err != nil {
				return
			}
		}
	}
}

// fixed answers every request with the same bytes.
func fixed(answer string) func(net.Conn, *bufio.Reader) {
	return answering(func(*http.Request, string) string { return answer })
}

// get sends a GET through tr and reads the whole answer.
func get(t *testing.T, tr http.RoundTripper, url string) (*http.Response, string, error) {
	t.Helper()
	return send(t, tr, mustRequest(t, http.MethodGet, url, nil))
}

func send(t *testing.T, tr http.RoundTripper, req *http.Request) (*http.Response, string, error) {
	t.Helper()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, string(b), err
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	return req
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
