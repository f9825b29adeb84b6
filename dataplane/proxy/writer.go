package proxy

import (
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/dataplane/llm"
	"github.com/claimgate/claimgate/dataplane/ratelimit"
)

// responseWriter records what the proxy answered for metrics and the access log, and
// applies the route's response header modifiers. It keeps Flush working (streaming) and
// exposes the original writer through Unwrap for http.ResponseController.
type responseWriter struct {
	http.ResponseWriter
	// proxy is the reverse proxy forwarding the request, set by forward.
	proxy       httputil.ReverseProxy
	status      int
	written     int64
	wroteHeader bool
	respMods    []*headerMod
	// cors adds the CORS headers for corsOrigin to the answer, when set.
	cors       *corsPolicy
	corsOrigin []string

	decision, reason string
	route, sub       string
	upstreamStart    time.Time
	upstreamLatency  time.Duration
	deadline         time.Time // of the route's timeout, when it has one
	// bodyUnread is set while an HTTP/1 request's body has not been read nor handed to
	// the reverse proxy: an answer then reads what of the body has already arrived
	// (drainArrived) and, unless that was all of it, closes the connection instead of
	// waiting for the rest, so a client cannot hold a refused request open by
	// trickling its body. unreadBody is that body, as net/http gave it, unless the
	// request expects 100-continue: its client sends no body before it is asked for it.
	bodyUnread bool
	unreadBody io.Reader
	// usage is the LLM tokens a metered answer used (metered is set once it ended);
	// chargeErr says why they could not be charged.
	usage     llm.Usage
	metered   bool
	chargeErr string
	// requestModel is the model the provider was asked for, when known.
	requestModel string
	// tokens are the verified JWTs of the request; firstByte is when the first byte of
	// the answer was written.
	tokens    []authz.Token
	firstByte time.Time
	// llmSystem is the AI provider the request went to, if any.
	llmSystem string
	// body is the request's body as read from the client, once forwarding starts.
	body *clientBody
	// stream enforces the route's idle timeout and maximum stream duration, when it has
	// either.
	stream *streamLimits
	// limits is the outcome of the route's rate limits, and the handle chargeTokens
	// uses; nil on a route without any.
	limits *ratelimit.Decision
	// limiter is the limiter limits came from (the one in use when the request began).
	limiter *ratelimit.Limiter
	// failover is where the request stood in its failover upstream, if it went to one.
	failover *failoverCursor
	// guard is the prompt guard that acted on the request or its answer, and
	// guardAction what it did (guard.go).
	guard, guardAction string
}

var writers = sync.Pool{New: func() any { return &responseWriter{} }}

func newResponseWriter(w http.ResponseWriter) *responseWriter {
	rw := writers.Get().(*responseWriter)
	rw.ResponseWriter = w
	return rw
}

func (w *responseWriter) release() {
	if w.limits != nil {
		w.limits.Release()
	}
	*w = responseWriter{}
	writers.Put(w)
}

// WriteHeader applies the response header modifiers before the first non-informational
// status, and records it.
func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.wroteHeader, w.status = true, code
		if w.bodyUnread && w.drainArrived() {
			w.bodyUnread = false
		}
		if w.bodyUnread {
			w.Header().Set("Connection", "close")
		}
		if !w.upstreamStart.IsZero() {
			w.upstreamLatency = time.Since(w.upstreamStart)
		}
		for _, m := range w.respMods {
			m.apply(w.Header())
		}
		if w.cors != nil {
			w.cors.addTo(w.Header(), w.corsOrigin)
		}
		if w.stream != nil {
			w.stream.answerStarted(code)
		}
	}
	w.ResponseWriter.WriteHeader(code)
	if code >= 200 && llm.IsEventStream(w.Header()) {
		// A stream's head is flushed here, where the reverse proxy writes it. Left to
		// the reverse proxy, it is flushed by a timer that races with the copy of the
		// first event, which then writes it at the bottom of that copy: net/http's
		// head writing is deep, and the stack a goroutine grows for its deepest call
		// (16 KiB rather than 8) stays with it for as long as the stream lasts.
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// maxDrained bounds the bytes of an unread body drainArrived reads.
const maxDrained = 64 << 10

// drainArrived reads the rest of an unread request body when all of it has already
// arrived, and reports whether it did. It reads under a read deadline already past, so
// it takes only what the server has buffered and never waits for the client: a body
// still on its way is not read to its end, and the connection is then closed
// (bodyUnread). A client that sent its whole small body with its request keeps its
// connection for the next one.
func (w *responseWriter) drainArrived() bool {
	if w.unreadBody == nil {
		return false
	}
	rc := http.NewResponseController(w.ResponseWriter)
	if rc.SetReadDeadline(time.Unix(1, 0)) != nil {
		return false
	}
	n, err := io.CopyN(io.Discard, w.unreadBody, maxDrained+1)
	_ = rc.SetReadDeadline(time.Time{})
	return errors.Is(err, io.EOF) && n <= maxDrained
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.markFirstByte()
	if w.stream != nil {
		w.stream.touch()
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

// WriteString writes s without copying it when the underlying writer allows.
func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.markFirstByte()
	if w.stream != nil {
		w.stream.touch()
	}
	n, err := io.WriteString(w.ResponseWriter, s)
	w.written += int64(n)
	return n, err
}

// Flush sends buffered data to the client, event by event for streams.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush() // directly: a stream's first flush writes the head, the deepest call
		return
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// aborted records a response cut short after it started: the client went away (499), the
// route's timeout, idle timeout or maximum stream duration expired, or the upstream
// failed mid-answer.
func (w *responseWriter) aborted(r *http.Request) {
	if r.Context().Err() != nil {
		w.status, w.reason = statusClientClosed, "client_closed"
		return
	}
	if st := w.stream.cause(); st != nil {
		w.decision, w.reason = decisionStreamTimeout, st.reason
		return
	}
	w.decision, w.reason = decisionUpstreamError, "upstream_reset"
	if !w.deadline.IsZero() && !time.Now().Before(w.deadline) {
		w.reason = "timeout"
	}
}
