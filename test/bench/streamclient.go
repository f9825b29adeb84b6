package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// streamsPerConn is how many streams an HTTP/2 client connection carries, below the
// 250 concurrent streams a Go server allows on one connection.
const streamsPerConn = 200

// streamClient sends the i-th stream of a batch.
type streamClient interface {
	roundTrip(req *http.Request, i int) (*http.Response, error)
	conns() int
	close()
}

// h1Client opens one HTTP/1.1 connection per stream, as most clients of an LLM API do.
type h1Client struct {
	tr *http.Transport
	n  int
}

func newH1Client(n int) *h1Client {
	return &h1Client{n: n, tr: &http.Transport{
		DisableKeepAlives: true, DisableCompression: true, MaxIdleConnsPerHost: -1,
		DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	}}
}

func (c *h1Client) roundTrip(req *http.Request, _ int) (*http.Response, error) {
	return c.tr.RoundTrip(req)
}
func (c *h1Client) conns() int { return c.n }
func (c *h1Client) close()     { c.tr.CloseIdleConnections() }

// h2Client carries the streams over prior-knowledge HTTP/2 (h2c) connections,
// streamsPerConn each.
type h2Client struct{ ccs []*http.ClientConn }

func newH2Client(ctx context.Context, rawURL string, n int) (*h2Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", rawURL, err)
	}
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: protocols, DisableCompression: true}
	c := &h2Client{}
	for range (n + streamsPerConn - 1) / streamsPerConn {
		cc, err := tr.NewClientConn(ctx, "http", u.Host)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("opening an HTTP/2 connection to %s: %w", u.Host, err)
		}
		c.ccs = append(c.ccs, cc)
	}
	return c, nil
}

func (c *h2Client) roundTrip(req *http.Request, i int) (*http.Response, error) {
	return c.ccs[(i/streamsPerConn)%len(c.ccs)].RoundTrip(req)
}
func (c *h2Client) conns() int { return len(c.ccs) }

func (c *h2Client) close() {
	for _, cc := range c.ccs {
		_ = cc.Close()
	}
}

// fdLimit is the number of descriptors a process may open here (RLIMIT_NOFILE's hard
// limit: Go raises its soft limit to it), or override when positive.
func fdLimit(override int) int {
	if override > 0 {
		return override
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	return int(min(rl.Max, 1<<30)) //nolint:gosec // bounded just above
}

// streamResult is what one stream of a batch saw.
type streamResult struct {
	first  time.Duration // to the first event; 0 when none came
	events int           // data lines, [DONE] included
	done   bool          // ended with [DONE], status 200, no error
	err    string
}

// openStream sends one streamed chat request; opened is called at its first event, then
// the rest of the answer is read.
func openStream(ctx context.Context, c streamClient, i int, target, token string, opened func()) streamResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(streamBody))
	if err != nil {
		return streamResult{err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.roundTrip(req, i)
	if err != nil {
		return streamResult{err: err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return streamResult{err: "status " + resp.Status}
	}
	var r streamResult
	last := ""
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		if strings.HasPrefix(line, "data:") {
			if r.events == 0 {
				r.first = time.Since(start)
				opened()
			}
			r.events++
			last = strings.TrimSpace(line)
		}
		if err != nil {
			r.done = last == "data: [DONE]"
			if !r.done {
				r.err = fmt.Sprintf("after %d events: %v", r.events, err)
			}
			return r
		}
	}
}
