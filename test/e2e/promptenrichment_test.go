package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// labPrompt is lab 8's system message.
const labPrompt = "Parse the unstructured text into CSV format and respond only with the CSV data."

// TestLab8PromptEnrichment applies lab 8 exactly as the workshop does: the RouteOption
// is Accepted, names ai.promptEnrichment Honored, and the provider receives the
// system message before the client's messages.
func TestLab8PromptEnrichment(t *testing.T) {
	kubectl(t, "delete", "routeoption,virtualhostoption", "--all", "-n", "gloo-system", "--ignore-not-found")
	setup(t)
	kubectl(t, "apply", "-f", labFile(t, "lab8-prompt-enrichment.yaml"))
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", labFile(t, "lab8-prompt-enrichment.yaml")) })

	var msgs []json.RawMessage
	deadline := time.Now().Add(20 * time.Second)
	for {
		st.LLM.Reset()
		a := chat(t, "")
		require.Equal(t, http.StatusOK, a.status, a.String())
		req, ok := st.LLM.Last()
		require.True(t, ok, "the fake LLM received the request")
		var body struct {
			Messages []json.RawMessage `json:"messages"`
		}
		require.NoError(t, json.Unmarshal(req.Body, &body), "%s", req.Body)
		if msgs = body.Messages; len(msgs) > 0 && strings.Contains(string(msgs[0]), labPrompt) {
			break
		}
		require.True(t, time.Now().Before(deadline), "after 20s the provider still receives %s", req.Body)
		sleepPoll()
	}
	require.JSONEq(t, `{"role":"system","content":"`+labPrompt+`"}`, string(msgs[0]))
	require.Greater(t, len(msgs), 1, "the client's messages follow")

	out, err := st.Kubectl("get", "routeoption", "-n", "gloo-system", "openai-opt", "-o",
		`jsonpath={.status.conditions[?(@.type=="Accepted")].status} {.status.options[*].name}={.status.options[*].outcome}`)
	require.NoError(t, err, out)
	require.Equal(t, "True options.ai.promptEnrichment=Honored", strings.TrimSpace(out))
}
