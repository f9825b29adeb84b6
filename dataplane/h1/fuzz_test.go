package h1_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/dataplane/h1"
)

// FuzzParseAnswerHead feeds arbitrary bytes to the answer-head parser. It must never
// panic; what it accepts must be a head net/http reads alike (same status, same fields,
// same framing), with field names that are tokens and values without CR, LF or NUL.
func FuzzParseAnswerHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-A\r\n\r\n0\r\nX-A: 1\r\n\r\n",
		"HTTP/1.0 404 Not Found\r\nconnection: keep-alive\r\ncontent-type: text/plain\r\n\r\n",
		"HTTP/1.1 103 Early Hints\nLink: </a>\n\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 200\r\nX-A:\t v \t\r\nX-A: w\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		status, fields, chunked, length, err := h1.ParseAnswerHead(data, 4096)
		if err != nil {
			return
		}
		if status < 100 || status > 599 {
			t.Fatalf("status %d accepted", status)
		}
		for k, vs := range fields {
			if k == "" || strings.ContainsAny(k, " \t\r\n:") || http.CanonicalHeaderKey(k) != k {
				t.Fatalf("field name %q accepted", k)
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("field value %q accepted", v)
				}
			}
		}
		std, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
		if err != nil {
			t.Fatalf("accepted a head net/http refuses (%v): %q", err, data)
		}
		if std.StatusCode != status || (len(std.TransferEncoding) > 0) != chunked {
			t.Fatalf("status %d chunked %v, net/http reads %d %v", status, chunked, std.StatusCode, std.TransferEncoding)
		}
		if !chunked && status >= 200 && status != 204 && status != 304 && std.ContentLength != length {
			t.Fatalf("length %d, net/http reads %d", length, std.ContentLength)
		}
		for k, vs := range fields {
			if k == "Transfer-Encoding" || k == "Trailer" || k == "Content-Length" {
				continue
			}
			if got := std.Header[k]; strings.Join(got, "\x00") != strings.Join(vs, "\x00") {
				t.Fatalf("field %s: %q, net/http reads %q", k, vs, got)
			}
		}
	})
}
