package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/claimgate/claimgate/dataplane/authz"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// Model-aware authorization: a route whose RBAC has a claim rule expecting the
// request's model ("{request.model}") learns that model before authorizing, after
// authentication:
//   - from the "model" of the JSON body, which is then read into memory (up to the
//     proxy's body limit, under its body timeout) before the rate limits and the
//     upstream see it, as the route's ai.defaults leave it: the model the provider is
//     asked for;
//   - else, when the body names none, from the path, for APIs that name the model
//     there: Gemini's /models/<model>:generateContent, Azure OpenAI's
//     /deployments/<deployment>/…, and the model retrieval GET …/models/<model>. The
//     body comes first so that a path cannot vouch for a body asking another model.
//
// A request that names no model is denied by the rule. A GET of the model list (a path
// ending in /models) is authorized when the caller's claim names any model, and the
// provider's answer is filtered to the models the caller may use (OpenAI's, Mistral's
// and Anthropic's "data"[].id, Gemini's "models"[].name).

// modelFor returns what rt's RBAC needs to know of r's model, and the bytes of the body
// budget it holds (to release when the request is done); answered is set when it
// answered r (the body could not be read).
func (s *Server) modelFor(rw *responseWriter, r *http.Request, rt *route) (m authz.Model, reserved int64, answered bool) {
	if !rt.rbac.NeedsModel() {
		return authz.Model{}, 0, false
	}
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models") {
		return authz.Model{Listing: true}, 0, false
	}
	name := ""
	if r.Body != nil && r.Body != http.NoBody {
		var body []byte
		if body, reserved, answered = s.readForModel(rw, r); answered {
			return authz.Model{}, reserved, true
		}
		name = rt.ai.Model(llm.RequestModel(body))
	}
	if name == "" {
		name = modelInPath(r.URL.Path)
	}
	return authz.Model{Name: name}, reserved, false
}

// readForModel reads r's body into memory under the body budget and timeout, or
// answers r when it cannot.
func (s *Server) readForModel(rw *responseWriter, r *http.Request) (body []byte, reserved int64, answered bool) {
	s.bodyDeadline(rw, r)
	reserved = s.cfg.MaxBodyBytes
	if r.ContentLength >= 0 && r.ContentLength < reserved {
		reserved = r.ContentLength
	}
	if !s.bodies.reserve(reserved) {
		writeReadError(rw, errBuffersFull)
		return nil, 0, true
	}
	if err := readWhole(r, s.cfg.MaxBodyBytes); err != nil {
		writeReadError(rw, err)
		return nil, reserved, true
	}
	rw.bodyUnread = false // an answer given now (403) keeps the connection
	body, _ = llm.InMemory(r)
	return body, reserved, false
}

// modelInPath is the model a path names: the segment after /models/ (up to a ':' or
// the next '/'), or after /deployments/; "" when it names none.
func modelInPath(path string) string {
	for _, marker := range [...]string{"/models/", "/deployments/"} {
		i := strings.LastIndex(path, marker)
		if i < 0 {
			continue
		}
		name := path[i+len(marker):]
		if j := strings.IndexAny(name, ":/"); j >= 0 {
			name = name[:j]
		}
		if name != "" {
			return name
		}
	}
	return ""
}

// writeReadError answers a request whose body could not be read into memory.
func writeReadError(rw *responseWriter, err error) {
	rw.decision = decisionBadRequest
	switch {
	case errors.Is(err, errBuffersFull):
		rw.decision = decisionOverloaded
		rw.Header().Set("Retry-After", "1")
		writeText(rw, http.StatusServiceUnavailable, "proxy is busy: too many request bodies in memory")
	case errors.Is(err, llm.ErrBodyTooLarge):
		writeText(rw, http.StatusRequestEntityTooLarge, "request body too large")
	default:
		writeBodyError(rw, err)
	}
}

// modelListKey is the context key of a listing request's modelList.
type modelListKey struct{}

// modelList is what filtering a model list needs: the policy, the caller's tokens and
// the listing request's method and path.
type modelList struct {
	rbac         *authz.Policy
	tokens       []authz.Token
	method, path string
}

// withModelList marks r, a listing request, for filtering; the answer is asked for
// unencoded so that it can be read.
func withModelList(r *http.Request, rbac *authz.Policy, tokens []authz.Token) *http.Request {
	r.Header.Set("Accept-Encoding", "identity")
	l := &modelList{rbac: rbac, tokens: tokens, method: r.Method, path: r.URL.Path}
	return r.WithContext(context.WithValue(r.Context(), modelListKey{}, l))
}

// errModelList answers a listing whose answer cannot be filtered: it is not shown.
var errModelList = errors.New("the provider's model list could not be read to filter it")

// filterModelList keeps in a successful listing answer only the models the caller may
// use. An answer it cannot read is refused (the reverse proxy answers 502) rather than
// shown whole.
func filterModelList(resp *http.Response) error {
	l, _ := resp.Request.Context().Value(modelListKey{}).(*modelList)
	if l == nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, llm.MaxBodyBytes+1))
	_ = resp.Body.Close()
	if err != nil || len(raw) > llm.MaxBodyBytes {
		return errModelList
	}
	out, ok := l.filter(raw)
	if !ok {
		return errModelList
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Del("Content-Encoding")
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

// modelListFields are the providers' model lists: the member holding the list and the
// entry's member naming the model.
var modelListFields = [...][2]string{{"data", "id"}, {"models", "name"}}

// filter keeps the allowed entries of raw's "data" (by id) or "models" (by name, without
// Gemini's "models/" prefix), the other members unchanged.
func (l *modelList) filter(raw []byte) ([]byte, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(raw, &doc) != nil || doc == nil {
		return nil, false
	}
	found := false
	for _, lf := range modelListFields {
		member, field := lf[0], lf[1]
		list, ok := doc[member]
		if !ok {
			continue
		}
		var entries []json.RawMessage
		if json.Unmarshal(list, &entries) != nil {
			return nil, false
		}
		kept := entries[:0]
		for _, e := range entries {
			var named map[string]json.RawMessage
			var name string
			if json.Unmarshal(e, &named) != nil || json.Unmarshal(named[field], &name) != nil {
				continue // an entry without a name is not shown
			}
			if l.rbac.ModelAllowed(l.tokens, l.method, l.path, strings.TrimPrefix(name, "models/")) {
				kept = append(kept, e)
			}
		}
		b, err := json.Marshal(kept)
		if err != nil {
			return nil, false
		}
		doc[member], found = b, true
	}
	if !found {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}
