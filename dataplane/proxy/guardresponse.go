package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/claimgate/claimgate/dataplane/guard"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// maxGuardedAnswer bounds a whole answer read into memory to be masked; a longer one
// is refused (502), never passed unmasked.
const maxGuardedAnswer = llm.MaxBodyBytes

// guardUnreadable names, in place of a guard, an answer no guard could read.
const guardUnreadable = "unreadable"

// errGuardAnswer is a whole answer the response guards could not check: the client
// gets 502 (guardFailure says which guard).
var errGuardAnswer = errors.New("the prompt guard could not check the answer")

// guardFailure is the error ModifyResponse returns for a whole answer the response
// guards could not check; the upstream error handler answers it 502.
type guardFailure struct {
	guard string
	err   error
}

func (e *guardFailure) Error() string { return fmt.Sprintf("prompt guard %s: %v", e.guard, e.err) }

func (e *guardFailure) Unwrap() error { return e.err }

// guardResponse makes the response guards see a guarded request's answer: a stream
// is masked stretch by stretch as it passes (guardstream.go), a whole answer here,
// before its head is written. Answers that are not 2xx pass as they are. An answer
// the guards cannot read (encoded although identity was asked for, too long, not
// JSON) is refused rather than passed unmasked.
func guardResponse(resp *http.Response) error {
	g := guardOf(resp.Request.Context())
	if g == nil || !g.p.GuardsResponses() || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return g.failWhole(&guardFailure{guard: guardUnreadable, err: fmt.Errorf("%w: it came with Content-Encoding %s", errGuardAnswer, ce)})
	}
	if llm.IsEventStream(resp.Header) {
		resp.Body = newGuardStream(g, resp)
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		return nil
	}
	return g.maskWhole(resp)
}

// maskWhole reads a whole answer, masks its texts and makes the result its body.
func (g *guardState) maskWhole(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGuardedAnswer+1))
	_ = resp.Body.Close()
	switch {
	case err != nil:
		return fmt.Errorf("reading an answer to guard: %w", err)
	case len(body) > maxGuardedAnswer:
		return g.failWhole(&guardFailure{guard: guardUnreadable, err: fmt.Errorf("%w: it is longer than %d bytes", errGuardAnswer, maxGuardedAnswer)})
	}
	var choices []guard.Choice
	_, _, ok := llm.EditAnswer(body, g.format, func(_ int, role, text string) string {
		choices = append(choices, guard.Choice{Role: role, Content: text})
		return text
	})
	if !ok && len(bytes.TrimSpace(body)) > 0 {
		return g.failWhole(&guardFailure{guard: guardUnreadable, err: fmt.Errorf("%w: it is not JSON", errGuardAnswer)})
	}
	if ok && len(choices) > 0 {
		masked, changed, err := g.p.MaskResponse(resp.Request.Context(), choices, g.header, g.s.guardActed(g.rw, "response"))
		if err != nil {
			return g.failWhole(&guardFailure{guard: guardName(err), err: err})
		}
		if changed {
			i := 0
			body, _, _ = llm.EditAnswer(body, g.format, func(_ int, _, text string) string {
				if i < len(masked) {
					text = masked[i].Content
				}
				i++
				return text
			})
		}
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// failWhole records a whole answer the guards could not check and returns the error
// that makes the upstream error handler answer 502.
func (g *guardState) failWhole(err *guardFailure) error {
	g.s.guardFailed(g.rw, "response", err)
	return err
}

// writeGuardFailure answers a whole answer the response guards could not check.
func writeGuardFailure(w http.ResponseWriter, err error) bool {
	var gf *guardFailure
	if !errors.As(err, &gf) {
		return false
	}
	writeText(w, http.StatusBadGateway, "prompt guard "+gf.guard+" could not check the answer")
	return true
}
