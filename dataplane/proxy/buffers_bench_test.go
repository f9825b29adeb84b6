package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"
)

// sizedPool lends copy buffers of one size, for comparing sizes.
type sizedPool int

func (s sizedPool) Get() []byte  { return make([]byte, s) }
func (s sizedPool) Put(_ []byte) {}

// BenchmarkCopyBuffer is what the copy buffer's size costs an answer that is not a
// stream: the pool's 4 KiB beside the 32 KiB of net/http/httputil's default, for a
// chat answer's size and for a long body, side by side over loopback.
func BenchmarkCopyBuffer(b *testing.B) {
	for _, size := range []int{2 << 10, 256 << 10} {
		body := bytes.Repeat([]byte("x"), size)
		backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(body)
		}))
		target, _ := url.Parse(backend.URL)
		for _, buf := range []sizedPool{eventBufferSize, copyBufferSize, 32 << 10} {
			rp := &httputil.ReverseProxy{
				Rewrite:    func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
				BufferPool: buf,
			}
			front := httptest.NewServer(rp)
			b.Run(strconv.Itoa(size>>10)+"KiB-answer/"+strconv.Itoa(int(buf)>>10)+"KiB-buffer", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					resp, err := http.Get(front.URL) //nolint:noctx // a loopback benchmark
					if err != nil {
						b.Fatal(err)
					}
					if n, _ := io.Copy(io.Discard, resp.Body); n != int64(size) {
						b.Fatalf("read %d bytes, want %d", n, size)
					}
					resp.Body.Close()
				}
			})
			front.Close()
		}
		backend.Close()
	}
}
