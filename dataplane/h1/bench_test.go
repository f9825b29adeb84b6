//go:build unix

package h1_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"

	"github.com/claimgate/claimgate/dataplane/h1"
)

// BenchmarkClient compares, side by side in one run, net/http's transport and this
// client sending the same requests to the same upstream: a hand-written one answering
// every request with a 400-byte JSON body, so the cost measured is the client's (and the
// loopback's). Read the ratio of the sub-benchmarks, not their absolute figures.
func BenchmarkClient(b *testing.B) {
	answer := answerOf(bytes.Repeat([]byte("x"), 400))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go serveFast(ln, answer)
	url := "http://" + ln.Addr().String() + "/v1/chat/completions"
	body := bytes.Repeat([]byte("y"), 600)
	clients := map[string]func() http.RoundTripper{
		"net-http": func() http.RoundTripper {
			return &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true, ForceAttemptHTTP2: true}
		},
		"h1": func() http.RoundTripper { return h1.New(h1.Config{}) },
	}
	for _, method := range []string{"GET", "POST"} {
		for _, name := range []string{"net-http", "h1"} {
			b.Run(method+"/"+name, func(b *testing.B) {
				tr := clients[name]()
				defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
				b.ReportAllocs()
				b.SetParallelism(8)
				cpu0 := processCPU()
				defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
				b.RunParallel(func(pb *testing.PB) {
					buf := make([]byte, 32<<10)
					for pb.Next() {
						var rd io.Reader
						if method == "POST" {
							rd = bytes.NewReader(body)
						}
						req, _ := http.NewRequest(method, url, rd)
						req.Header.Set("Content-Type", "application/json")
						resp, err := tr.RoundTrip(req)
						if err != nil {
							b.Error(err)
							return
						}
						for {
							if _, err := resp.Body.Read(buf); err != nil {
								break
							}
						}
						_ = resp.Body.Close()
					}
				})
			})
		}
	}
}

func answerOf(body []byte) []byte {
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Tue, 01 Dec 2026 20:00:00 GMT\r\n" +
		"X-Request-Id: 0123456789abcdef\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	return append([]byte(head), body...)
}

// serveFast answers every request on every connection with answer, reading just enough
// of the request to frame it.
func serveFast(ln net.Listener, answer []byte) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				if _, err := c.Write(answer); err != nil {
					return
				}
			}
		}()
	}
}

// processCPU is the CPU time (user and system) the process has used, in nanoseconds:
// on a shared machine a steadier figure than the wall time per operation.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
