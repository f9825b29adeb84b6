package proxy

import (
	"net/http"
	"net/url"
	"time"

	"github.com/claimgate/claimgate/dataplane/authz"
)

// Decisions label metrics and access-log lines.
const (
	decisionAllowed       = "allowed"
	decisionNotReady      = "not_ready"
	decisionNoRoute       = "no_route"
	decisionDeniedAuthn   = "denied_authn"
	decisionDeniedAuthz   = "denied_authz"
	decisionDirect        = "direct_response"
	decisionRedirect      = "redirect"
	decisionNoBackend     = "no_backend"
	decisionBadRequest    = "bad_request"
	decisionOverloaded    = "overloaded"
	decisionUpstreamError = "upstream_error"
)

// lingerTimeout bounds how long the connection of a request answered without reading
// its body is kept to receive the rest of it (net/http's own delay before closing).
const lingerTimeout = 500 * time.Millisecond

// Handler serves requests as if they had arrived on port: the listeners use it, and so
// can an embedding server or a test.
func (s *Server) Handler(port uint32) http.Handler { return &portHandler{s: s, port: port} }

// portHandler serves one port with whatever table is current when a request starts.
type portHandler struct {
	s    *Server
	port uint32
}

func (h *portHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := newResponseWriter(w)
	rw.bodyUnread = r.ProtoMajor == 1 && r.Body != nil && r.Body != http.NoBody
	body := r.Body
	if rw.bodyUnread && r.Header.Get("Expect") == "" {
		rw.unreadBody = body
	}
	t := h.s.table.Load()
	path, pathErr := normalizePath(r.URL)
	defer func() {
		p := recover()
		if p != nil {
			rw.aborted(r)
		}
		h.s.observe(rw, r, t, path, start)
		// net/http decides how to close the connection from the body it gave.
		r.Body = body
		if rw.bodyUnread {
			// Answered without reading all of the body (and with Connection: close): net/http
			// reads what of the body is already on its way for a moment, so that
			// closing does not reset the connection before the client reads the answer,
			// but not for as long as a client trickling its body would like.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(lingerTimeout))
		}
		rw.release()
		if p != nil {
			panic(p) // http.ErrAbortHandler: net/http drops the connection
		}
	}()
	if pathErr != nil {
		rw.decision = decisionBadRequest
		writeText(rw, http.StatusBadRequest, pathErr.Error())
		return
	}
	if t == nil {
		rw.decision = decisionNotReady
		writeText(rw, http.StatusServiceUnavailable, "no configuration yet")
		return
	}
	pt := t.ports[h.port]
	websocket := sanitizeHeaders(r.Header, pt != nil && pt.allowUnderscores, t.claimHeaders)
	rt := pt.route(r)
	if rt == nil {
		rw.decision = decisionNoRoute
		writeText(rw, http.StatusNotFound, "route not found")
		return
	}
	rw.route = rt.name
	if websocket && rt.websocket {
		allowWebSocket(r.Header)
	}
	h.s.serveRoute(rw, r, rt, h.port)
}

// route returns the first route of the request's virtual host that matches, or nil.
func (pt *portTable) route(r *http.Request) *route {
	if pt == nil {
		return nil
	}
	vh := pt.hosts.lookup(r.Host)
	if vh == nil {
		return nil
	}
	return vh.match(r)
}

// serveRoute runs CORS, the early rate limits, authentication, authorization, the regular
// rate limits, filters and forwarding for rt. Admission runs in a call of its own, so
// that its frame is off the stack by the time the answer streams: the stack a stream's
// goroutine keeps is sized by the deepest call it made.
func (s *Server) serveRoute(rw *responseWriter, r *http.Request, rt *route, port uint32) {
	r, up, held := s.admit(rw, r, rt, port)
	defer held.end(s)
	if r != nil {
		s.forward(rw, r, rt, up)
	}
}

// admitted is what an admitted request holds until it is done: the body budget its
// model's body took, and the end of its route's timeouts.
type admitted struct {
	reserved  int64
	endBounds func()
}

func (a admitted) end(s *Server) {
	if a.endBounds != nil {
		a.endBounds()
	}
	s.bodies.release(a.reserved)
}

// admit runs everything before forwarding: it returns the request to forward and the
// upstream chosen early (nil: pick among the backends), or a nil request when it
// answered r itself.
func (s *Server) admit(rw *responseWriter, r *http.Request, rt *route, port uint32) (*http.Request, *upstream, admitted) {
	var held admitted
	if rt.cors != nil && rt.cors.serve(rw, r) {
		return nil, nil, held // a preflight, answered before authentication
	}
	up := rt.pickEarly()
	if s.rateLimit(rw, r, rt, true, nil, up) {
		return nil, nil, held
	}
	var tokens []authz.Token
	if rt.authn != nil {
		toks, fail := rt.authn.Authenticate(r)
		if fail != nil {
			rw.decision, rw.reason = decisionDeniedAuthn, fail.Reason
			fail.Write(rw, r)
			return nil, nil, held
		}
		tokens, rw.sub = toks, subject(toks)
		rw.tokens = toks
	}
	if rt.rbac != nil {
		model, reserved, answered := s.modelFor(rw, r, rt)
		held.reserved = reserved
		if answered {
			return nil, nil, held
		}
		if !rt.rbac.AllowedModel(tokens, r.Method, r.URL.Path, model) {
			rw.decision = decisionDeniedAuthz
			writeText(rw, http.StatusForbidden, authz.DenyBody)
			return nil, nil, held
		}
		if model.Listing {
			r = withModelList(r, rt.rbac, tokens)
		}
	}
	if s.rateLimit(rw, r, rt, false, tokens, up) {
		return nil, nil, held
	}
	rw.respMods = rt.respMods
	r, held.endBounds = boundRequest(rw, r, rt)
	if injectFault(rw, r, rt) || s.answerDirectly(rw, r, rt, port) {
		return nil, nil, held
	}
	for _, m := range rt.reqMods {
		m.apply(r.Header)
	}
	if rt.rewrite != nil {
		rt.rewrite.apply(r)
	}
	rt.upstreamRewrite.apply(r)
	return r, up, held
}

// answerDirectly answers r when rt is a direct response or a redirect.
func (s *Server) answerDirectly(rw *responseWriter, r *http.Request, rt *route, port uint32) bool {
	switch {
	case rt.direct != nil:
		rw.decision = decisionDirect
		writeText(rw, rt.direct.status, rt.direct.body)
		return true
	case rt.redirect != nil:
		rw.decision = decisionRedirect
		rw.Header().Set("Location", rt.redirect.location(r, port))
		rw.WriteHeader(rt.redirect.status)
		return true
	}
	return false
}

// forward sends r to up, or when nil to one of rt's backends.
func (s *Server) forward(rw *responseWriter, r *http.Request, rt *route, up *upstream) {
	if up == nil {
		up = rt.backends.pick()
	}
	if up == nil {
		rw.decision = decisionNoBackend
		writeText(rw, http.StatusInternalServerError, "route has no backend")
		return
	}
	s.bodyDeadline(rw, r)
	charging := metered(rw, up)
	inMemory, reserved, err := s.readBody(r, up, rt, charging)
	defer s.bodies.release(reserved)
	if err != nil {
		writeReadError(rw, err)
		return
	}
	if inMemory {
		rw.bodyUnread = false // read whole: an answer given now keeps the connection
	}
	guarded := rt.guardFor(up)
	if guarded != nil && s.guardRequest(rw, r, guarded, up) {
		return
	}
	if !inMemory && r.ProtoMajor == 1 && r.Body != nil && r.Body != http.NoBody {
		// The upstream may answer before the transport has finished with the request
		// body; an HTTP/1 server would then close the body under it and the upstream
		// connection would be dropped mid-answer.
		if fd, ok := rw.ResponseWriter.(interface{ EnableFullDuplex() error }); ok {
			_ = fd.EnableFullDuplex()
		}
	}
	if charging {
		answered, reserved := s.reserveTokens(rw, r)
		if answered {
			return
		}
		if reserved {
			defer settleUnanswered(rw)
		}
	}
	rw.decision = decisionAllowed
	rw.bodyUnread = false // the reverse proxy reads it, or has it in memory
	rw.upstreamStart = time.Now()
	if up.llm() {
		r = s.withMeter(rw, r, up, charging)
	}
	if up.failover != nil {
		r = s.withFailover(rw, r, rt, up)
	}
	if guarded.GuardsResponses() {
		r = s.withGuard(rw, r, guarded, up)
	}
	r, endAttempts := withAttempts(rw, r, rt, up)
	defer endAttempts()
	// The request's own copy of the upstream's reverse proxy, which lends its copy
	// buffer by the answer it gets (responseWriter.Get).
	rw.proxy = *up.proxyFor(rt)
	rw.proxy.BufferPool = rw
	rw.proxy.ServeHTTP(rw, r)
}

// subject is the sub claim of the first verified token, for the access log.
func subject(tokens []authz.Token) string {
	for _, t := range tokens {
		if sub, ok := t.Claims["sub"].(string); ok {
			return sub
		}
	}
	return ""
}

// normalizePath puts u's path in the canonical form of canonicalPath before routing, so
// routes, RBAC and the upstream all see one path; the query is left alone. It returns
// the path the access log shows: the canonical one, or for a refused path (the error
// says why) the path as received, still escaped.
func normalizePath(u *url.URL) (string, error) {
	if u.RawPath == "" && isCanonicalPlain(u.Path) {
		return u.Path, nil // the common case: nothing to decode, nothing to change
	}
	escaped := u.EscapedPath()
	canonical, forwarded, err := canonicalPath(escaped)
	if err != nil {
		return escaped, err
	}
	u.Path, u.RawPath = canonical, ""
	if forwarded != canonical {
		u.RawPath = forwarded
	}
	return canonical, nil
}
