package bench

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// system is one way of reaching the backend.
type system struct {
	name        string
	url         string
	proc        *proc               // nil when nothing sits between client and backend
	token       func(uint64) string // nil: no token
	policy      bool                // answers 401/403 like the tutorial
	unavailable string              // why the system could not run
}

func (s *system) target() Target {
	return Target{URL: s.url, Body: requestBody, Token: s.token, Want: http.StatusOK}
}

// requestBody is the tutorial's chat request.
var requestBody = []byte(`{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"What is recursion?"}]}`)

// streamBody asks for a streamed answer.
var streamBody = []byte(`{"model":"gpt-3.5-turbo","stream":true,"messages":[{"role":"user","content":"What is recursion?"}]}`)

// fixed returns a token source that always gives tok.
func fixed(tok string) func(uint64) string { return func(uint64) string { return tok } }

// cycling returns a token source that walks pool in order across runs.
func cycling(pool []string) func(uint64) string {
	var n atomic.Uint64
	return func(uint64) string { return pool[(n.Add(1)-1)%uint64(len(pool))] }
}

// checkAnswers verifies, before anything is timed, that a system gives the expected
// statuses: 200 with a good token and, when it enforces the policy, 401 without a token
// or with each bad one and 403 for a token without the claim.
type answerCase struct {
	what, tok string
	want      int
}

func checkAnswers(s *system, good, noClaim string, bad map[string]string) error {
	cases := []answerCase{{"a good token", good, http.StatusOK}}
	if s.policy {
		cases = append(cases, answerCase{"no token", "", http.StatusUnauthorized},
			answerCase{"a token without the claim", noClaim, http.StatusForbidden})
		for kind, tok := range bad {
			cases = append(cases, answerCase{"a " + kind + " token", tok, http.StatusUnauthorized})
		}
	}
	for _, c := range cases {
		t := Target{URL: s.url, Body: requestBody, Token: fixed(c.tok), Want: c.want}
		if err := waitStatus(t, s.proc, 10*time.Second); err != nil {
			return fmt.Errorf("%s with %s: %w", s.name, c.what, err)
		}
	}
	return nil
}
