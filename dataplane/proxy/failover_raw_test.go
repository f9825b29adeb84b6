package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakellm"
)

// TestFailoverRawSocket: on one keep-alive connection, a request with a chunked body
// (of unknown length, which a failover upstream reads whole to send it to each
// priority) and then one with a Content-Length both fail over through lab 7's three
// priorities; each answer is the last 429, framed by its length, and the connection
// stays open for the next.
func TestFailoverRawSocket(t *testing.T) {
	h := newHarness(t, fakellm.Config{})
	b := newFailingLLM(t)
	b.fail("*", http.StatusTooManyRequests)
	lab7(t, h, b)

	c, err := net.Dial("tcp", "127.0.0.1:"+itoa(h.port))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReader(c)
	body := failoverChat("gpt-4o-mini", false)

	chunked := "POST /openai HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
		fmt.Sprintf("%x\r\n%s\r\n", 10, body[:10]) + fmt.Sprintf("%x\r\n%s\r\n", len(body)-10, body[10:]) + "0\r\n\r\n"
	plain := fmt.Sprintf("POST /openai HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	for i, req := range []string{chunked, plain} {
		_, err := io.WriteString(c, req)
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "answer %d", i)
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		require.Equal(t, int64(len(got)), resp.ContentLength, "framed by its length")
		require.JSONEq(t, `{"error":{"message":"429 for gpt-3.5-turbo"}}`, string(got))
		require.False(t, resp.Close, "the connection stays open")
	}
	// Each attempt carried the whole body: the backend read its model from it.
	require.Equal(t, append(append([]string(nil), lab7Models...), lab7Models...), b.models())
}
