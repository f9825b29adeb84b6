// Command fakellm runs the OpenAI-compatible fake LLM backend for local runs of the proxy.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/fakellm"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	delay := flag.Duration("stream-delay", 100*time.Millisecond, "pause between streamed chunks")
	chunks := flag.Int("stream-chunks", 5, "content chunks per streamed answer")
	flag.Parse()
	b := fakellm.NewBackend(fakellm.Config{StreamDelay: *delay, StreamChunks: *chunks})
	srv := &http.Server{Addr: *addr, Handler: b, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("fakellm listening on %s", *addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Fatal(err)
	}
}
