package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mistralBackend is lab 4's mistral Upstream pointed at this run's fake LLM (its
// customHost, as the labs' README allows), with an inline key, and lab 4's mistral
// HTTPRoute unchanged.
const mistralBackend = `apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  labels:
    app: gloo
  name: mistral
  namespace: gloo-system
spec:
  ai:
    mistral:
      authToken:
        inline: sk-test-mistral-key
      customHost:
        host: 127.0.0.1
        port: LLMPORT
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata:
  name: mistral
  namespace: gloo-system
spec:
  parentRefs:
    - name: ai-gateway
      namespace: gloo-system
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /mistral
    filters:
      - type: URLRewrite
        urlRewrite:
          path:
            type: ReplaceFullPath
            replaceFullPath: /v1/chat/completions
    backendRefs:
    - name: mistral
      namespace: gloo-system
      group: gloo.solo.io
      kind: Upstream
`

// labSteps writes each document of a lab's file, unchanged, to a file of its own, in
// order.
func labSteps(t *testing.T, name string) []string {
	t.Helper()
	raw, err := os.ReadFile(labFile(t, name))
	require.NoError(t, err)
	var out []string
	for i, doc := range strings.Split(string(raw), "\n---\n") {
		path := filepath.Join(st.Dir, name+"-step"+string(rune('1'+i))+".yaml")
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
		out = append(out, path)
	}
	return out
}

// postMistral sends body to the Gateway's /mistral.
func postMistral(t *testing.T, body string) answer {
	t.Helper()
	return postURL(t, gatewayURL()+"/mistral", "", []byte(body))
}

const cardPrompt = `{"model":"open-mistral-nemo","messages":[{"role":"user","content":"What type of number is 5105105105105100? Is it a credit card number?"}]}`

// TestLab9PromptGuard applies lab 9 exactly as the workshop does, step by step: a
// prompt that says "credit card" is refused with the custom message (403) and never
// reaches the provider; then, with the response guard, a card number in the answer
// comes back as <CUSTOM>, whole and streamed (the number split across chunks).
func TestLab9PromptGuard(t *testing.T) {
	kubectl(t, "delete", "routeoption,virtualhostoption", "--all", "-n", "gloo-system", "--ignore-not-found")
	setup(t)
	_, llmPort, _ := strings.Cut(st.FakeLLMAddr, ":")
	backend := filepath.Join(st.Dir, "lab9-mistral.yaml")
	require.NoError(t, os.WriteFile(backend, []byte(strings.ReplaceAll(mistralBackend, "LLMPORT", llmPort)), 0o600))
	kubectl(t, "apply", "-f", backend)
	t.Cleanup(func() { _, _ = st.Kubectl("delete", "-f", backend) })
	steps := labSteps(t, "lab9-prompt-guard.yaml")
	require.Len(t, steps, 2)
	t.Cleanup(func() {
		_, _ = st.Kubectl("delete", "routeoption", "mistral-ai-opt", "-n", "gloo-system", "--ignore-not-found")
	})

	kubectl(t, "apply", "-f", steps[0])
	a := eventuallyMistral(t, cardPrompt, http.StatusForbidden)
	require.Equal(t, "Rejected due to inappropriate content", a.body)
	st.LLM.Reset()
	a = postMistral(t, cardPrompt)
	require.Equal(t, http.StatusForbidden, a.status, a.String())
	_, reached := st.LLM.Last()
	require.False(t, reached, "a refused prompt never reaches the provider")

	st.LLM.SetAnswer("It is a test number: 5105 ", "1051 0510 ", "5100. Do not use it.")
	t.Cleanup(func() { st.LLM.SetAnswer() })
	kubectl(t, "apply", "-f", steps[1])
	ask := `{"model":"open-mistral-nemo","messages":[{"role":"user","content":"Give me a test number."}]}`
	a = eventuallyMistralBody(t, ask, "<CUSTOM>")
	require.Equal(t, http.StatusOK, a.status, a.String())
	require.Contains(t, a.body, `"content":"It is a test number: <CUSTOM>. Do not use it."`)
	require.NotContains(t, a.body, "5105")

	stream := postMistral(t, `{"model":"open-mistral-nemo","stream":true,"messages":[{"role":"user","content":"Give me a test number."}]}`)
	require.Equal(t, http.StatusOK, stream.status, stream.String())
	require.Contains(t, stream.body, "CUSTOM")
	require.NotContains(t, stream.body, "5105")
	require.True(t, strings.HasSuffix(stream.body, "data: [DONE]\n\n"), stream.body)
	require.Equal(t, http.StatusForbidden, postMistral(t, cardPrompt).status, "step 2 still refuses the prompt")

	out, err := st.Kubectl("get", "routeoption", "-n", "gloo-system", "mistral-ai-opt", "-o",
		`jsonpath={.status.conditions[?(@.type=="Accepted")].status} {.status.options[*].name}`)
	require.NoError(t, err, out)
	require.Equal(t, "True options.ai.promptGuard.request.customResponse options.ai.promptGuard.request.regex options.ai.promptGuard.response.regex", strings.TrimSpace(out))
}

// eventuallyMistral polls /mistral with body until it answers status.
func eventuallyMistral(t *testing.T, body string, status int) answer {
	t.Helper()
	return pollUntil(t, fmt.Sprint("status ", status), func() answer { return postMistral(t, body) },
		func(a answer) bool { return a.status == status })
}

// eventuallyMistralBody polls /mistral with body until its answer contains want.
func eventuallyMistralBody(t *testing.T, body, want string) answer {
	t.Helper()
	return pollUntil(t, fmt.Sprintf("%q in the answer", want), func() answer { return postMistral(t, body) },
		func(a answer) bool { return strings.Contains(a.body, want) })
}
