// Package fakellm serves the demo's fake LLM backend (cmd/claimgate/demo/fakellm) on a
// loopback port for tests, in the manner of httptest.Server: plain HTTP or HTTPS with
// httptest's self-signed certificate, recording what the proxy forwarded.
package fakellm

import (
	"net/http/httptest"
	"net/url"

	backend "github.com/claimgate/claimgate/cmd/claimgate/demo/fakellm"
)

// Config tunes the backend; the zero value is usable.
type Config = backend.Config

// Backend is the fake provider's http.Handler.
type Backend = backend.Backend

// Request is one request as the backend received it.
type Request = backend.Request

// The fake's token counts: a chat request's prompt, the non-streamed answer, a stream of
// n chunks.
var (
	PromptTokens = backend.PromptTokens
	StreamTokens = backend.StreamTokens
)

// AnswerTokens is the completion tokens of the non-streamed answer.
const AnswerTokens = backend.AnswerTokens

// Server is a Backend listening on a loopback port, in the manner of httptest.Server.
type Server struct {
	*Backend
	srv *httptest.Server
}

// New returns an unstarted Server; call Start (or StartTLS) and then Close.
func New(cfg Config) *Server {
	b := backend.NewBackend(cfg)
	return &Server{Backend: b, srv: httptest.NewUnstartedServer(b)}
}

// Start serves plain HTTP on a loopback port.
func (s *Server) Start() { s.srv.Start() }

// StartTLS serves HTTPS with httptest's self-signed certificate (see Certificate).
func (s *Server) StartTLS() { s.srv.StartTLS() }

// HTTPTest exposes the underlying server (its Certificate, Client, Config).
func (s *Server) HTTPTest() *httptest.Server { return s.srv }

// URL is the base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// HostPort is the listening address as host:port.
func (s *Server) HostPort() string {
	u, err := url.Parse(s.srv.URL)
	if err != nil {
		return ""
	}
	return u.Host
}

// Close stops the server, closing open connections.
func (s *Server) Close() { s.srv.Close() }
