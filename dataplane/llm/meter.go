package llm

import (
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// bodyFormat is how an answer's body is framed.
type bodyFormat uint8

const (
	// formatJSON is one JSON value, or a JSON array of them (Gemini's streamGenerateContent
	// without alt=sse).
	formatJSON bodyFormat = iota
	// formatSSE is a server-sent event stream whose data are JSON.
	formatSSE
	// formatOpaque is an encoded body (gzip, br, ...): passed on unread.
	formatOpaque
)

// answerFormat tells the framing from the answer's headers.
func answerFormat(h http.Header) bodyFormat {
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return formatOpaque
	}
	if IsEventStream(h) {
		return formatSSE
	}
	return formatJSON
}

// eventStreamType is the media type of a server-sent event stream.
const eventStreamType = "text/event-stream"

// IsEventStream reports whether h's Content-Type is a server-sent event stream, as
// mime.ParseMediaType reads it (the reverse proxy flushes such an answer event by
// event). A Content-Type of another type is told apart without parsing it.
func IsEventStream(h http.Header) bool {
	ct := strings.TrimLeft(h.Get("Content-Type"), " \t")
	if len(ct) < len(eventStreamType) || !strings.EqualFold(ct[:len(eventStreamType)], eventStreamType) {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == eventStreamType
}

// meter is an answer body that reads the provider's usage as its bytes pass, and reports
// it once. Read and Close may be called from different goroutines.
type meter struct {
	body         io.ReadCloser
	format       bodyFormat
	hide         bool // filter out the usage-only chunk
	estimate     bool // estimate counts the provider did not report
	requestBytes int64
	done         func(Usage)
	// progress, when set, is told the usage after each event of a stream, and ends the
	// stream with stopEvent when it returns true (MeterOptions.Progress).
	progress  func(Usage) bool
	stopEvent []byte

	mu       sync.Mutex
	finished bool
	stopped  bool
	scan     jsonScan
	line     sseLine
	opaque   int64  // bytes of an encoded body
	out      []byte // with hiding: the bytes to hand to the reader
	outOff   int
	err      error // the upstream's error (io.EOF at the end), once out is drained
}

// newMeter wraps body; see Adapter.Meter.
func newMeter(body io.ReadCloser, format bodyFormat, requestBytes int64, hide, estimate bool, done func(Usage)) *meter {
	if body == nil {
		body = http.NoBody
	}
	m := &meter{
		body: body, format: format, hide: hide && format == formatSSE, estimate: estimate,
		requestBytes: requestBytes, done: done,
	}
	m.line.holding = m.hide
	return m
}

// Read passes the upstream's bytes on, as they come: unchanged, or, with hiding, all but
// the usage-only chunk.
func (m *meter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	m.mu.Lock()
	n, err := m.read(p)
	u, report := m.finishOnError()
	m.mu.Unlock()
	if report {
		m.done(u)
	}
	return n, err
}

func (m *meter) read(p []byte) (int, error) {
	for {
		if m.outOff < len(m.out) {
			n := copy(p, m.out[m.outOff:])
			m.outOff += n
			if m.outOff == len(m.out) {
				m.out, m.outOff = m.out[:0], 0
			}
			return n, nil
		}
		if m.err != nil {
			return 0, m.err
		}
		got, err := m.body.Read(p)
		n := m.take(p[:got])
		switch {
		case m.stopped:
			err = nil // m.err ends the body once the stop event is read
		case err != nil:
			m.err = err
			if m.hide {
				m.releaseHeld()
			}
		}
		if !m.hide {
			return n, err
		}
		if got == 0 && err == nil {
			return 0, nil
		}
	}
}

// take reads bytes that came from the upstream and returns how many of them reach the
// client as they are: all of them, unless the meter filters them (into m.out) or the
// stream stops at the end of an event among them.
func (m *meter) take(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch {
	case m.format == formatOpaque:
		m.opaque += int64(len(b))
	case m.format == formatJSON:
		m.scan.feed(b)
	case m.hide:
		m.filterSSE(b)
	default:
		return m.scanSSE(b)
	}
	return len(b)
}

// eventEnded tells progress of the usage at the end of an event of a stream, and stops
// the stream when it says so: the client then gets the stop event, then the end of the
// body, and the upstream's body is closed. It reports whether the stream stopped.
func (m *meter) eventEnded() bool {
	if m.progress == nil || m.finished || m.stopped || !m.progress(m.usage()) {
		return false
	}
	m.stopped = true
	m.out = append(m.out, m.stopEvent...)
	m.err = io.EOF
	_ = m.body.Close()
	return true
}

// Close closes the upstream body and, when the answer did not reach its end (the client
// hung up), reports the usage seen so far.
func (m *meter) Close() error {
	err := m.body.Close() // first: it ends a Read blocked on the upstream
	m.mu.Lock()
	u, report := m.finish()
	m.mu.Unlock()
	if report {
		m.done(u)
	}
	return err
}

// finishOnError reports the usage once the upstream body ended or failed.
func (m *meter) finishOnError() (Usage, bool) {
	if m.err == nil {
		return Usage{}, false
	}
	return m.finish()
}

// finish returns the usage, and true the first time only.
func (m *meter) finish() (Usage, bool) {
	if m.finished {
		return Usage{}, false
	}
	m.finished = true
	u := m.usage()
	u.Model = m.scan.modelName() // once, here: usage runs after every event
	return u, true
}

// usage is the answer's usage so far: the provider's counts where it reported them, the
// estimates otherwise.
func (m *meter) usage() Usage {
	text := m.scan.textBytes
	if m.format == formatOpaque {
		text = m.opaque
	}
	var u Usage
	var estIn, estOut bool
	u.Input, estIn = m.pick(m.scan.usage.input, m.requestBytes)
	u.Output, estOut = m.pick(m.scan.usage.output, text)
	u.Estimated = estIn || estOut
	return u
}

// pick is the provider's count when it reported one, else the estimate from n bytes.
func (m *meter) pick(c count, n int64) (tokens int64, estimated bool) {
	if c.ok {
		return c.n, false
	}
	if !m.estimate {
		return 0, false
	}
	e := EstimateTokens(n)
	return e, e > 0
}
