package proxy

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCopyBufferByAnswer: an event stream (as llm.IsEventStream reads Content-Type) is
// copied through the small event buffer, every other answer through the answer buffer.
func TestCopyBufferByAnswer(t *testing.T) {
	for ct, want := range map[string]int{
		"Text/Event-Stream; charset=utf-8": eventBufferSize,
		"application/json":                 copyBufferSize,
		"":                                 copyBufferSize,
	} {
		rw := newResponseWriter(httptest.NewRecorder())
		if ct != "" {
			rw.Header().Set("Content-Type", ct)
		}
		b := rw.Get()
		require.Len(t, b, want, "Content-Type %q", ct)
		rw.Put(b)
		rw.release()
	}
}
