package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakes/guardrail"
)

// lab10WebhookHost and lab10WebhookPort are where lab 10's RouteOption says its webhook is.
const (
	lab10WebhookHost = "ai-guardrail-webhook.gloo-system.svc.cluster.local"
	lab10WebhookPort = "port: 8000"
)

// TestLab10GuardrailWebhook applies lab 10 as the workshop does, its webhook's host and
// port pointed at the workshop's webhook running here: a prompt saying "block" is
// refused with the webhook's 403 "request blocked" and never reaches the provider; the
// word "mask" reaches the provider as "****", and comes back so in answers, whole and
// streamed.
func TestLab10GuardrailWebhook(t *testing.T) {
	kubectl(t, "delete", "routeoption,virtualhostoption", "--all", "-n", "gloo-system", "--ignore-not-found")
	setup(t)
	hook := guardrail.New()
	hook.Start(t)
	raw, err := os.ReadFile(labFile(t, "lab10-guardrail-webhook.yaml"))
	require.NoError(t, err)
	manifest := strings.ReplaceAll(string(raw), lab10WebhookHost, hook.Host())
	manifest = strings.ReplaceAll(manifest, lab10WebhookPort, "port: "+strconv.Itoa(int(hook.Port())))
	path := filepath.Join(st.Dir, "lab10.yaml")
	require.NoError(t, os.WriteFile(path, []byte(manifest), 0o600))
	kubectl(t, "apply", "-f", path)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", path, "--ignore-not-found") })

	blocked := chatBody("please block this", false)
	a := eventuallyOpenAI(t, blocked, http.StatusForbidden)
	require.Equal(t, "request blocked", a.body)
	st.LLM.Reset()
	require.Equal(t, http.StatusForbidden, postTo(t, gatewayURL(), "", blocked).status)
	_, reached := st.LLM.Last()
	require.False(t, reached, "a refused prompt never reaches the provider")

	st.LLM.SetAnswer("Put on a ma", "sk.\nThen smile.")
	t.Cleanup(func() { st.LLM.SetAnswer() })
	a = postTo(t, gatewayURL(), "", chatBody("where is my mask", false))
	require.Equal(t, http.StatusOK, a.status, a.String())
	req, ok := st.LLM.Last()
	require.True(t, ok)
	require.Contains(t, string(req.Body), "where is my ****", "the provider receives the masked prompt")
	require.Contains(t, a.body, `"content":"Put on a ****.\nThen smile."`)

	stream := postTo(t, gatewayURL(), "", chatBody("hi", true))
	require.Equal(t, http.StatusOK, stream.status, stream.String())
	require.Contains(t, stream.body, "****")
	require.NotContains(t, stream.body, "mask")
	require.True(t, strings.HasSuffix(stream.body, "data: [DONE]\n\n"), stream.body)
	require.NotEmpty(t, hook.CallsTo("/response"), "the webhook saw the answers")

	out, err := st.Kubectl("get", "routeoption", "-n", "gloo-system", "openai-opt", "-o",
		`jsonpath={.status.conditions[?(@.type=="Accepted")].status} {.status.options[*].name}={.status.options[*].outcome}`)
	require.NoError(t, err, out)
	require.Equal(t, "True options.ai.promptGuard.request.webhook options.ai.promptGuard.response.webhook=Honored Honored", strings.TrimSpace(out))
}

// chatBody is a chat request of one user message.
func chatBody(text string, stream bool) []byte {
	b, _ := json.Marshal(map[string]any{"model": "gpt-3.5-turbo", "stream": stream, "messages": []map[string]string{{"role": "user", "content": text}}})
	return b
}

// eventuallyOpenAI polls /openai with body until it answers status.
func eventuallyOpenAI(t *testing.T, body []byte, status int) answer {
	t.Helper()
	return pollUntil(t, fmt.Sprint("status ", status), func() answer { return postTo(t, gatewayURL(), "", body) },
		func(a answer) bool { return a.status == status })
}
