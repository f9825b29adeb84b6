package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/go-logr/logr"
)

// upstreamErrorHandler answers a failed upstream request like Envoy does: 504 on a
// timeout, 503 when no connection could be made, 502 otherwise, and 408 when the route's
// idle timeout or maximum stream duration ended it. The error's text (which can name
// hosts) is logged, never sent to the client.
func upstreamErrorHandler(name string, log logr.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if st := streamTimeoutOf(r.Context()); st != nil {
			writeStreamTimeout(w, st)
			return
		}
		if writeGuardFailure(w, err) {
			return // recorded by the guard stage
		}
		if bodyErr := clientBodyError(w); bodyErr != nil && r.Context().Err() == nil {
			// The client's body broke off, not the upstream: a bad request.
			if rw, ok := w.(*responseWriter); ok {
				rw.decision, rw.reason = decisionBadRequest, "request_body"
			}
			writeBodyError(w, bodyErr)
			return
		}
		status, body := classifyUpstreamError(r.Context(), err)
		if rw, ok := w.(*responseWriter); ok {
			rw.decision, rw.reason = decisionUpstreamError, http.StatusText(status)
		}
		if status == statusClientClosed {
			if rw, ok := w.(*responseWriter); ok {
				rw.status = statusClientClosed
			}
			return
		}
		log.Error(err, "upstream request failed", "upstream", name, "status", status)
		writeText(w, status, body)
	}
}

// statusClientClosed is recorded (never sent) when the client went away first.
const statusClientClosed = 499

func classifyUpstreamError(ctx context.Context, err error) (int, string) {
	if errors.Is(ctx.Err(), context.Canceled) {
		return statusClientClosed, ""
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, "upstream request timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return http.StatusGatewayTimeout, "upstream request timeout"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return http.StatusServiceUnavailable, "upstream connect error or disconnect/reset before headers"
	}
	return http.StatusBadGateway, "upstream connect error or disconnect/reset before headers"
}

// Shared header values of the proxy's own answers; net/http never modifies them.
var (
	textPlain = []string{"text/plain"}
	noSniff   = []string{"nosniff"}
)

// writeText answers with the proxy's own text/plain body.
func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h["Content-Type"] = textPlain
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
