package moderation_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakes/moderation"
)

func TestServer(t *testing.T) {
	s := moderation.New()
	s.RequireKey("k")
	s.Start(t)
	tests := map[string]struct {
		path, body, key string
		status          int
		answer          string
	}{
		"flags": {
			path: "/v1/moderations", body: `{"model":"m","input":["hi","so violent"]}`, key: "k", status: 200,
			answer: `{"id":"modr-fake","model":"m","results":[
				{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.0001}},
				{"flagged":true,"categories":{"violence":true},"category_scores":{"violence":0.97}}]}`,
		},
		"one string": {
			path: "/v1/moderations", body: `{"input":"hi"}`, key: "k", status: 200,
			answer: `{"id":"modr-fake","model":"omni-moderation-latest","results":[
				{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.0001}}]}`,
		},
		"wrong key":    {path: "/v1/moderations", body: `{"input":"hi"}`, key: "x", status: 401},
		"no input":     {path: "/v1/moderations", body: `{"model":"m"}`, key: "k", status: 400},
		"unknown path": {path: "/v1/other", body: `{}`, key: "k", status: 404},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tc.key)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.answer != "" {
				require.JSONEq(t, tc.answer, string(b))
			}
		})
	}
	calls := s.Calls()
	require.Len(t, calls, 3, "calls it could decode: flags, one string, wrong key")
	byModel := map[string]moderation.Call{}
	for _, c := range calls {
		byModel[c.Model] = c
	}
	require.Equal(t, []string{"hi", "so violent"}, byModel["m"].Input)
	require.Equal(t, "Bearer k", byModel["m"].Header.Get("Authorization"))
	require.Equal(t, []string{"hi"}, byModel[""].Input)
}
