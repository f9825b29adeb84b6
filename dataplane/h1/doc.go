// Package h1 is the proxy's HTTP/1.1 client to its upstreams: an http.RoundTripper
// that keeps a pool of keep-alive connections per upstream address and runs each
// exchange on the caller's goroutine. The request is written and the answer's head read
// where RoundTrip is called, and the answer's body is read by whoever reads
// Response.Body, with no goroutine hand-off in between; only a request body of unknown
// length or not in memory is written by a goroutine of its own, so that an upstream
// may answer before it has read all of it. A connection borrows its 4 KiB read buffer
// from a pool only while bytes are buffered on it: idle in the pool, or waiting for the
// next bytes of a streamed body, it holds none.
//
// It sits between the reverse proxy of dataplane/proxy and the network, chosen by
// dataplane/llm's Transports for every endpoint that speaks HTTP/1.1 (plain, or TLS
// offering only HTTP/1.1 by ALPN). Upstream answers are read strictly: a head that is
// too large, malformed, folded, carries bytes no field may hold, or frames its body
// ambiguously (Content-Length with Transfer-Encoding, differing Content-Lengths, a
// transfer coding other than chunked, chunks framed as net/http's decoder would not
// take them) is an error, which the reverse proxy answers with 502; the connection is
// then closed, never reused. A connection goes back to the pool only after an answer
// read to its clean end.
package h1
