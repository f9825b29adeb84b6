package proxy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"

	"github.com/claimgate/claimgate/dataplane/llm"
)

// Every answer of an AI provider is metered for the usage metrics (usage.go). A
// request whose rate limits count LLM tokens also charges them: its body is read into
// memory (up to the proxy's body limit) so that an OpenAI-style stream can be asked
// for its usage (dataplane/llm PrepareUsage, the extra usage chunk then hidden from
// the client), the provider is asked for an answer it need not decompress to be read,
// and the answer's usage is charged to the token policies when the answer ends — at
// its end, or when the client leaves mid-stream (what was produced: the provider's
// count where it has one, else dataplane/llm's estimate).

// meterKey is the context key of a metered request's meterState.
type meterKey struct{}

// meterState is what the upstream's rewrite and response need of a metered request.
type meterState struct {
	rw           *responseWriter
	adapter      *llm.Adapter
	metrics      *metrics
	requestBytes int64
	// charging is set when the request's rate limits count its tokens.
	charging bool
	hide     bool
	// model is the model the provider was asked for, when known (the Upstream's
	// override, or the in-memory body's "model"). adapter, model and hide are those of
	// the last attempt at a failover upstream, whose answer is the one metered.
	model string
}

// metered reports whether the request rw answers charges tokens and goes to an LLM
// provider.
func metered(rw *responseWriter, up *upstream) bool {
	return up.llm() && rw.limits != nil && rw.limits.Charging()
}

// withMeter marks r, to an AI provider, for metering.
func (s *Server) withMeter(rw *responseWriter, r *http.Request, up *upstream, charging bool) *http.Request {
	m := &meterState{rw: rw, adapter: up.adapter, metrics: s.metrics, requestBytes: max(r.ContentLength, 0), charging: charging}
	if up.adapter != nil { // a failover upstream's member sets it at each attempt
		rw.llmSystem = up.adapter.Provider()
	}
	return r.WithContext(context.WithValue(r.Context(), meterKey{}, m))
}

func meterOf(ctx context.Context) *meterState {
	m, _ := ctx.Value(meterKey{}).(*meterState)
	return m
}

// prepareMetering asks the provider, on the outgoing request, for what metering
// needs: usage in a stream, an answer without content encoding.
func prepareMetering(pr *httputil.ProxyRequest) { prepareMemberMetering(pr.Out, nil) }

// prepareMemberMetering prepares the outgoing request out for metering; a, when set,
// is the provider of this attempt at a failover upstream, whose answer is metered.
func prepareMemberMetering(out *http.Request, a *llm.Adapter) {
	m := meterOf(out.Context())
	if m == nil {
		return
	}
	if a != nil {
		m.adapter, m.hide = a, false
		m.rw.llmSystem = a.Provider()
	}
	llm.PrepareUsageHeader(out.Header)
	m.model = m.adapter.Model()
	body, ok := llm.InMemory(out)
	if !ok {
		return
	}
	if m.model == "" {
		m.model = llm.RequestModel(body)
	}
	if !m.charging {
		return // a stream is metered as the client asked for it
	}
	if prepared, hide := m.adapter.PrepareUsage(out.URL.Path, body); hide {
		llm.SetBody(out, prepared)
		m.hide = true
	}
}

// meterResponse wraps a metered request's answer so its usage is charged when it ends,
// and, when a policy stops streams over budget, so the stream is watched as it goes.
func meterResponse(resp *http.Response) error {
	m := meterOf(resp.Request.Context())
	if m == nil || m.adapter == nil {
		return nil
	}
	o := llm.MeterOptions{RequestBytes: m.requestBytes, HideUsageChunk: m.hide}
	if m.charging && m.rw.limits.Stopping() {
		o.Progress = m.progress
	}
	m.adapter.MeterWith(resp, o, func(u llm.Usage) {
		m.rw.usage, m.rw.metered, m.rw.requestModel = u, true, m.model
		if m.metrics.usage != nil {
			m.metrics.usage.record(m, u)
		}
		if !m.charging {
			return
		}
		if err := chargeTokens(m.rw, u.Total()); err != nil {
			m.rw.chargeErr = fmt.Sprintf("charging %d tokens: %v", u.Total(), err)
		}
	})
	return nil
}

// progress brings the stop policies of a streamed answer up to its usage so far, and
// reports whether one of them ends the stream (its owner's tokens reached the limit, or
// could not be counted under deny-on-fail).
func (m *meterState) progress(u llm.Usage) bool {
	policy, err := m.rw.limits.Progress(context.Background(), uint64(max(u.Total(), 0)))
	if err != nil {
		m.rw.chargeErr = fmt.Sprintf("counting a stream's %d tokens: %v", u.Total(), err)
	}
	if policy == "" {
		return false
	}
	m.rw.decision, m.rw.reason = decisionStreamStopped, policy
	m.metrics.countStreamStop(policy)
	return true
}

// readWhole reads a metered request's body into memory, up to limit, so that it can be
// prepared for metering.
func readWhole(r *http.Request, limit int64) error {
	if r.ContentLength > limit {
		return llm.ErrBodyTooLarge
	}
	body, err := llm.ReadBody(r, limit)
	if err != nil {
		return err
	}
	llm.SetBody(r, body)
	return nil
}
