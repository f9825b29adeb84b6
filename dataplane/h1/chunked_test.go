package h1_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/dataplane/h1"
)

// chunkedBodies are chunked bodies, good and bad, as an upstream may send them.
var chunkedBodies = []string{
	"5\r\nhello\r\n0\r\n",
	"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	"A;name=value\r\n0123456789\r\n0;last\r\n",
	"5 \t\r\nhello\r\n0\r\n",
	"00000005\r\nhello\r\n0\r\n",
	"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n",
	"5\nhello\r\n0\r\n",                                     // bare LF ends the size line
	"5\r\r\nhello\r\n0\r\n",                                 // a CR within it
	"5\r\nhelloXY0\r\n",                                     // data not ended by CRLF
	"5\r\nhel",                                              // cut in the data
	"5\r\nhello",                                            // cut before the CRLF
	"5\r\nhello\r\n",                                        // cut before the next size
	"\r\nhello\r\n0\r\n",                                    // no size
	"g\r\nhello\r\n0\r\n",                                   // not hex
	"10000000000000000\r\n0\r\n",                            // 17 digits
	"ffffffffffffffff\r\nab",                                // the largest size, cut
	"-5\r\nhello\r\n0\r\n",                                  // signed
	"0x5\r\nhello\r\n0\r\n",                                 // prefixed
	"5;" + strings.Repeat("x", 5000) + "\r\nhello\r\n0\r\n", // a line too long
	strings.Repeat("1;"+strings.Repeat("e", 60)+"\r\nx\r\n", 400) + "0\r\n", // framing outweighs data
}

// drain reads r to its end in reads of size bytes, and returns what it gave and its
// error (nil at a clean end).
func drain(r io.Reader, size int) ([]byte, error) {
	var out []byte
	p := make([]byte, size)
	for {
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// decodeStd decodes data with net/http's chunked reader, the reference; decode with
// ours, from pieces of at most piece bytes.
func decodeStd(data []byte, size int) ([]byte, error) {
	return drain(httputil.NewChunkedReader(bytes.NewReader(data)), size)
}

func decode(data []byte, size, piece int) ([]byte, error) {
	return drain(h1.ChunkedDecoder(data, piece), size)
}

// TestChunkedAgreesWithNetHTTP: every body decodes to the bytes net/http's decoder gives,
// with an error where it has one, whatever the sizes of the reads and of the pieces the
// connection gives the bytes in.
func TestChunkedAgreesWithNetHTTP(t *testing.T) {
	for _, body := range chunkedBodies {
		for _, size := range []int{1, 7, 1024, 4096, 64 << 10} {
			for _, piece := range []int{1, 3, 4096, 1 << 20} {
				want, wantErr := decodeStd([]byte(body), size)
				got, err := decode([]byte(body), size, piece)
				what := "body " + truncated(body) + ", reads of " + strconv.Itoa(size) + ", pieces of " + strconv.Itoa(piece)
				require.Equal(t, string(want), string(got), what)
				require.Equal(t, wantErr != nil, err != nil, "%s: %v, net/http: %v", what, err, wantErr)
			}
		}
	}
	got, err := decode([]byte(chunkedBodies[1]), 4096, 4096)
	require.NoError(t, err)
	require.Equal(t, "hello world", string(got))
	_, err = decode([]byte(chunkedBodies[8]), 4096, 4096)
	require.ErrorIs(t, err, h1.ErrMalformed)
}

func FuzzChunked(f *testing.F) {
	for _, body := range chunkedBodies {
		f.Add([]byte(body), uint16(4096), uint16(4096))
	}
	f.Fuzz(func(t *testing.T, data []byte, size, piece uint16) {
		sz, pc := max(int(size), 1), max(int(piece), 1)
		want, wantErr := decodeStd(data, sz)
		got, err := decode(data, sz, pc)
		if !bytes.Equal(want, got) || (wantErr != nil) != (err != nil) {
			t.Fatalf("%q, reads of %d, pieces of %d: %q (%v), net/http %q (%v)", data, sz, pc, got, err, want, wantErr)
		}
	})
}

// TestChunkedWaitInSmallBuffer: between the chunks of a streamed answer, a read into a
// caller's buffer as small as the 1 KiB the reverse proxy copies an event stream
// through waits in that buffer, holding no read buffer of the connection's; a smaller
// one than minAwaitSize borrows one.
func TestChunkedWaitInSmallBuffer(t *testing.T) {
	for size, wantHolding := range map[int]bool{4096: false, 1024: false, 512: false, 64: true} {
		holding, got, err := h1.WaitHoldsReadBuffer(size)
		require.NoError(t, err, "reads of %d bytes", size)
		require.Equal(t, "first second", got, "reads of %d bytes", size)
		require.Equal(t, wantHolding, holding, "reads of %d bytes: holding a read buffer while waiting", size)
	}
}

func truncated(s string) string {
	if len(s) > 40 {
		return strings.ReplaceAll(s[:40], "\r\n", "⏎") + "…"
	}
	return strings.ReplaceAll(s, "\r\n", "⏎")
}

// TestWaitingBodyHoldsNoReadBuffer: a body waiting for its upstream's next bytes, chunked
// or of known length, and a connection idle in the pool hold no read buffer.
func TestWaitingBodyHoldsNoReadBuffer(t *testing.T) {
	for name, parts := range map[string][2]string{
		"chunked": {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst \r\n", "6\r\nsecond\r\n0\r\n\r\n"},
		"length":  {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nfirst ", "second"},
	} {
		t.Run(name, func(t *testing.T) {
			next := make(chan struct{})
			up := newRaw(t, func(c net.Conn, br *bufio.Reader) {
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					_, _ = io.WriteString(c, parts[0])
					<-next
					_, _ = io.WriteString(c, parts[1])
				}
			})
			tr := h1.New(h1.Config{})
			resp, err := tr.RoundTrip(mustRequest(t, http.MethodGet, up.url(), nil))
			require.NoError(t, err)
			p := make([]byte, 4096)
			got := ""
			for got != "first " {
				n, err := resp.Body.Read(p)
				require.NoError(t, err)
				got += string(p[:n])
			}
			require.False(t, h1.HoldsReadBuffer(resp.Body), "waiting for the second part")
			close(next)
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, "second", string(rest))
			require.NoError(t, resp.Body.Close())
			holding, idle := h1.IdleHoldReadBuffers(tr)
			require.Equal(t, 1, idle)
			require.Zero(t, holding)
		})
	}
}
