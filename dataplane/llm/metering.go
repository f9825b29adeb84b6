package llm

import (
	"net/http"
	"strings"
)

// Token metering: the proxy charges a route's token budget with what each answer used.
// For a request to a metered route it calls, in order:
//
//  1. PrepareUsage on the request body it holds in memory, before sending it: for a
//     streamed OpenAI-style completion that does not ask for usage, the body now asks for
//     it (stream_options.include_usage), and hideUsageChunk tells the meter to keep the
//     usage-only chunk from a client that did not ask for it.
//  2. PrepareUsageHeader on the outgoing request's header: the answer comes unencoded, so
//     the meter can read it (an encoded answer is passed on unread, and its usage
//     estimated).
//  3. Meter on the answer (in the reverse proxy's ModifyResponse): the body becomes one
//     that passes the bytes on as they come and calls done once, with the usage, when the
//     body ends, fails, or is closed early.
//
// Routes and adapters that do not meter call none of these and pay nothing.

// Which providers take stream_options.include_usage (provider.includeUsagePath): OpenAI
// and Azure OpenAI stream usage only when asked (chat and legacy completions);
// Anthropic's OpenAI-compatible chat completions accept the option (its native messages
// API reports usage in message_start and message_delta unasked, and rejects it); Mistral
// rejects the option and reports usage in its last chunk anyway; Gemini reports it in its
// last chunk by default.

// azureStreamUsageSince is the first Azure OpenAI API version that accepts stream_options.
const azureStreamUsageSince = "2024-08-01"

// PrepareUsage readies a request body for metering. path is the path the request is sent
// to (after Rewrite). For a streamed completion ("stream": true) on a path where the
// provider accepts stream_options, and whose body does not already set
// stream_options.include_usage to true, it returns a new body that does, and
// hideUsageChunk true. Otherwise it returns body unchanged and false. Bodies longer than
// MaxBodyBytes, and bodies that are not a JSON object, are never changed.
func (a *Adapter) PrepareUsage(path string, body []byte) (newBody []byte, hideUsageChunk bool) {
	suffix := a.includeUsagePath
	if suffix == "" || !strings.HasSuffix(path, suffix) {
		return body, false
	}
	return setIncludeUsage(body, MaxBodyBytes)
}

// PrepareUsageHeader asks the upstream for an unencoded answer, which the meter can read
// as it passes (the proxy's transport never decodes answers, so that streams are not held
// back). The client then gets the answer unencoded too.
func PrepareUsageHeader(h http.Header) {
	h.Set("Accept-Encoding", "identity")
}

// Meter makes resp's body count the tokens the answer used. The body passes the upstream's
// bytes on unchanged and in the same reads, except that with hideUsageChunk (from
// PrepareUsage) the usage-only chunk (the event whose choices is empty and that carries
// usage) is read but not passed on; a line that might be it is held back until it ends.
//
// done is called exactly once, with the provider's reported counts, when the body reaches
// its end, fails, or is closed before its end; it must not block. A count the provider did
// not report (a stream cut before its last chunk, a stream that was not asked for usage,
// an answer that came encoded) is estimated by EstimateTokens: output from the generated
// text seen (from the body's bytes for an encoded answer), input from requestBytes, the
// size of the request body; Estimated is then set. An answer whose status is not 2xx is
// charged only what it reports, usually nothing.
func (a *Adapter) Meter(resp *http.Response, requestBytes int64, hideUsageChunk bool, done func(Usage)) {
	a.MeterWith(resp, MeterOptions{RequestBytes: requestBytes, HideUsageChunk: hideUsageChunk}, done)
}

// MeterOptions are how Adapter.MeterWith meters an answer.
type MeterOptions struct {
	// RequestBytes is the size of the request body, for the estimate of input tokens.
	RequestBytes int64
	// HideUsageChunk is PrepareUsage's: keep the usage-only chunk from the client.
	HideUsageChunk bool
	// Progress, when set, is called after each event of a streamed answer (a
	// server-sent event stream) with the usage so far, estimated as for done where the
	// provider has not reported it yet. When it returns true the stream ends there: the
	// client gets a last event saying why (StopMessage, in the provider's error-event
	// shape), then the end of the body, and the upstream's body is closed; done follows
	// with the usage so far. It is called from the body's Read, and may block on a
	// round trip.
	Progress func(Usage) bool
}

// MeterWith is Meter with options.
func (a *Adapter) MeterWith(resp *http.Response, o MeterOptions, done func(Usage)) {
	format := answerFormat(resp.Header)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	m := newMeter(resp.Body, format, o.RequestBytes, o.HideUsageChunk, ok, done)
	if o.Progress != nil && format == formatSSE && ok {
		m.progress = o.Progress
		path := ""
		if resp.Request != nil {
			path = resp.Request.URL.Path
		}
		m.stopEvent = a.StopEvent(path)
	}
	if (m.hide || m.progress != nil) && resp.ContentLength >= 0 {
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
	}
	resp.Body = m
}
