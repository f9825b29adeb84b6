package llm

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// TestMeterStops: a stream whose progress says stop ends at the end of the event that
// crossed, with the provider's error event, at any read boundary; the usage reported is
// what was seen; the upstream body is closed.
func TestMeterStops(t *testing.T) {
	events := strings.SplitAfter(openAIStream, "\n\n")
	stop := string(mustAdapter(t, snapshotv1.LlmProvider_OPENAI).StopEvent("/v1/chat/completions"))
	for _, hide := range []bool{false, true} {
		for split, cut := range splitters {
			t.Run(split, func(t *testing.T) {
				up := &chunkReader{chunks: cut(openAIStream + openAIUsageChunk + sseDone)}
				m := newMeter(up, formatSSE, 100, hide, true, nil)
				var seen []Usage
				m.progress = func(u Usage) bool {
					seen = append(seen, u)
					return u.Output > 0 // the event with text crosses
				}
				m.stopEvent = []byte(stop)
				got, _, u, calls := meterAll(t, m)
				require.Equal(t, events[0]+events[1]+stop, got, "hide=%v", hide)
				require.Len(t, seen, 2, "told after each event until it stopped")
				require.Equal(t, Usage{Input: 25, Output: 5, Estimated: true, Model: "gpt-4o"}, u, "the estimate of what was seen")
				require.Equal(t, 1, calls)
				require.True(t, up.closed.Load(), "the provider's stream is closed")
			})
		}
	}
}

// TestMeterProgressOnlyOnStreams: a whole JSON answer is never stopped.
func TestMeterProgressOnlyOnStreams(t *testing.T) {
	a := mustAdapter(t, snapshotv1.LlmProvider_OPENAI)
	resp := &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: &chunkReader{chunks: []string{openAIJSON}}, ContentLength: int64(len(openAIJSON)),
	}
	called := false
	a.MeterWith(resp, MeterOptions{Progress: func(Usage) bool { called = true; return true }}, func(Usage) {})
	m := resp.Body.(*meter)
	got, _, u, _ := meterAll(t, m)
	require.Equal(t, openAIJSON, got)
	require.Equal(t, Usage{Input: 10, Output: 7, Model: "gpt-4o"}, u)
	require.False(t, called)
	require.Equal(t, int64(len(openAIJSON)), resp.ContentLength, "its length stands")
}

// TestStopEvent: the last event of a stopped stream, as each provider's clients read an
// error.
func TestStopEvent(t *testing.T) {
	msg := `"` + StopMessage + `"`
	tests := []struct {
		provider snapshotv1.LlmProvider
		path     string
		want     string
	}{
		{snapshotv1.LlmProvider_OPENAI, "/v1/chat/completions", `data: {"error":{"message":` + msg + `,"type":"tokens","param":null,"code":"rate_limit_exceeded"}}` + "\n\n"},
		{snapshotv1.LlmProvider_MISTRAL, "/v1/chat/completions", `data: {"error":{"message":` + msg + `,"type":"tokens","param":null,"code":"rate_limit_exceeded"}}` + "\n\n"},
		{snapshotv1.LlmProvider_ANTHROPIC, "/v1/messages", "event: error\n" + `data: {"type":"error","error":{"type":"rate_limit_error","message":` + msg + "}}\n\n"},
		{snapshotv1.LlmProvider_ANTHROPIC, "/v1/chat/completions", `data: {"error":{"message":` + msg + `,"type":"tokens","param":null,"code":"rate_limit_exceeded"}}` + "\n\n"},
		{snapshotv1.LlmProvider_GEMINI, "/v1beta/models/gemini-2.0-flash:streamGenerateContent", `data: {"error":{"code":429,"message":` + msg + `,"status":"RESOURCE_EXHAUSTED"}}` + "\n\n"},
		{snapshotv1.LlmProvider_GEMINI, "/v1beta/openai/chat/completions", `data: {"error":{"message":` + msg + `,"type":"tokens","param":null,"code":"rate_limit_exceeded"}}` + "\n\n"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, string(mustAdapter(t, tc.provider).StopEvent(tc.path)), "%s %s", tc.provider, tc.path)
	}
	// Through MeterWith, the path is the request's.
	a := mustAdapter(t, snapshotv1.LlmProvider_ANTHROPIC)
	resp := &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body:    &chunkReader{chunks: []string{anthropicStream}},
		Request: &http.Request{URL: &url.URL{Path: "/v1/messages"}},
	}
	a.MeterWith(resp, MeterOptions{Progress: func(u Usage) bool { return u.Input > 0 }}, func(Usage) {})
	got, _, _, _ := meterAll(t, resp.Body.(*meter))
	require.True(t, strings.HasPrefix(got, "event: message_start\n"), got)
	require.True(t, strings.HasSuffix(got, "}}\n\nevent: error\n"+`data: {"type":"error","error":{"type":"rate_limit_error","message":`+msg+"}}\n\n"), got)
}

func mustAdapter(t *testing.T, p snapshotv1.LlmProvider) *Adapter {
	t.Helper()
	a, err := Compile(&snapshotv1.LlmUpstream{Provider: p, AuthToken: "k"})
	require.NoError(t, err)
	return a
}
