package proxy

import (
	"strings"

	"github.com/go-logr/logr"
)

// logWriter routes net/http's server errors (TLS handshakes, malformed requests) to logr.
type logWriter struct{ log logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.V(1).Info(strings.TrimSpace(string(p)))
	return len(p), nil
}
