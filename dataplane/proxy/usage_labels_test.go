package proxy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResponseModelLabel(t *testing.T) {
	tests := map[string]struct {
		name, want string
	}{
		"none":                   {"", ""},
		"openai":                 {"gpt-4o-2024-08-06", "gpt-4o-2024-08-06"},
		"a path":                 {"meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"},
		"bedrock":                {"anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"},
		"vertex":                 {"claude-sonnet-4@20250514", "claude-sonnet-4@20250514"},
		"underscores":            {"gemini_exp_1206", "gemini_exp_1206"},
		"the longest kept":       {strings.Repeat("m", maxModelLabel), strings.Repeat("m", maxModelLabel)},
		"too long":               {strings.Repeat("m", maxModelLabel+1), "other"},
		"a space":                {"gpt 4o", "other"},
		"a quote":                {`gpt"4o`, "other"},
		"an escape kept as sent": {`gpt\/4o`, "other"},
		"a newline":              {"gpt\n4o", "other"},
		"not ASCII":              {"gpt-4о", "other"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, newUsageMetrics("").modelLabel(tc.name))
		})
	}
}

// TestResponseModelLabelBounded: past maxResponseModels distinct names, a new one is
// "other"; the names already seen keep their label.
func TestResponseModelLabelBounded(t *testing.T) {
	u := newUsageMetrics("")
	for i := range maxResponseModels {
		name := "model-" + strconv.Itoa(i)
		require.Equal(t, name, u.modelLabel(name))
	}
	require.Equal(t, "other", u.modelLabel("one-too-many"))
	require.Equal(t, "model-0", u.modelLabel("model-0"))
	require.Equal(t, "model-99", u.modelLabel("model-99"))
}
