package proxy

import "sync"

// copyBufferSize is the size of the buffer a reverse proxy copies an answer through. A
// streamed answer holds its buffer for its whole life, blocked in a read until the
// provider's next event, so the buffer is what every open stream costs: 4 KiB holds
// a whole event of every provider's stream (a few hundred bytes each), and it is the
// size of the upstream connection's read buffer, which a larger copy buffer would only
// bypass for long answers.
const copyBufferSize = 4 << 10

// bufferPool lends the copy buffers of the reverse proxies.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
