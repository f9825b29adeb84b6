package proxy_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// rawBackend is an upstream that records each request's head exactly as it arrived on
// the wire (header names in their original spelling) with its body. It answers 200
// "ok", or 101 to an h2c or WebSocket upgrade, as a backend that accepts them would.
type rawBackend struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []rawRequest
}

type rawRequest struct {
	head string // request line and header lines, CRLF separated
	body string
}

// header returns the values of the header lines whose name is exactly name.
func (r rawRequest) header(name string) []string {
	var out []string
	for _, line := range strings.Split(r.head, "\r\n")[1:] {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// names returns every header name as spelled on the wire.
func (r rawRequest) names() []string {
	var out []string
	for _, line := range strings.Split(r.head, "\r\n")[1:] {
		if k, _, ok := strings.Cut(line, ":"); ok {
			out = append(out, k)
		}
	}
	return out
}

func (r rawRequest) requestLine() string { return strings.SplitN(r.head, "\r\n", 2)[0] }

func newRawBackend(t *testing.T) *rawBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &rawBackend{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c)
		}
	}()
	return b
}

func (b *rawBackend) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		head, err := readHead(br)
		if err != nil {
			return
		}
		req := rawRequest{head: head}
		if req.body, err = readRawBody(br, req); err != nil {
			return
		}
		b.mu.Lock()
		b.seen = append(b.seen, req)
		b.mu.Unlock()
		if up := req.firstHeader("Upgrade"); up != "" {
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "+up+"\r\n\r\n")
			_, _ = io.Copy(io.Discard, br) // the tunnel: whatever the client sends is "served"
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}
}

// firstHeader returns the first value of name, compared case-insensitively.
func (r rawRequest) firstHeader(name string) string {
	for _, line := range strings.Split(r.head, "\r\n")[1:] {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readRawBody reads a body framed by Content-Length or chunked.
func readRawBody(br *bufio.Reader, req rawRequest) (string, error) {
	var body []byte
	var err error
	switch {
	case strings.EqualFold(req.firstHeader("Transfer-Encoding"), "chunked"):
		body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			_, err = readHead(br) // the (empty) trailer section
		}
	default:
		n, _ := strconv.Atoi(req.firstHeader("Content-Length"))
		body = make([]byte, n)
		_, err = io.ReadFull(br, body)
	}
	return string(body), err
}

func readHead(br *bufio.Reader) (string, error) {
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return strings.Join(lines, "\r\n"), nil
		}
		lines = append(lines, line)
	}
}

// take returns the requests received since the last call.
func (b *rawBackend) take() []rawRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.seen
	b.seen = nil
	return out
}

func (b *rawBackend) port() uint32 { return uint32(b.ln.Addr().(*net.TCPAddr).Port) }

// hardened is a snapshot in front of the raw backend: "/admin" needs a token whose team
// claim is "platform"; "/public" needs any valid token, copies sub and team into
// X-User-Id and X-Team and sets X-Route by a header filter; "/ws" is like "/public" with
// WebSocket upgrades disabled; "/rewrite" is open and rewrites its prefix to "/v2"; a
// route selected by the header X-Team: platform answers
// "platform route" directly; "/" is open.
func hardened(t *testing.T, port uint32, backend *rawBackend, key *tokens.Key) *snapshotv1.Snapshot {
	t.Helper()
	route := func(name, prefix string, jwt bool) *snapshotv1.Route {
		r := &snapshotv1.Route{
			Name:     name,
			Match:    &snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: prefix}},
			Backends: []*snapshotv1.WeightedBackend{{Upstream: "raw", Weight: 1}},
		}
		if jwt {
			r.Jwt = jwtOf("p")
		}
		return r
	}
	admin := route("admin", "/admin", true)
	admin.Rbac = &snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "platform", Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims: []*snapshotv1.Claim{{Key: "team", Value: "platform"}},
		}}},
	}}}
	public := route("public", "/public", true)
	public.Filters = []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_RequestHeaders{RequestHeaders: &snapshotv1.HeaderModifier{
		Set: []*snapshotv1.Header{{Name: "X-Route", Value: "public"}},
	}}}}
	ws := route("ws", "/ws", true)
	ws.WebsocketDisabled = true
	rewrite := route("rewrite", "/rewrite", false)
	rewrite.Filters = []*snapshotv1.Filter{{Kind: &snapshotv1.Filter_UrlRewrite{UrlRewrite: &snapshotv1.URLRewrite{
		Path: &snapshotv1.PathModifier{Type: snapshotv1.PathModifierType_REPLACE_PREFIX_MATCH, Value: "/v2"},
	}}}}
	byTeam := &snapshotv1.Route{
		Name: "by-team",
		Match: &snapshotv1.RouteMatch{
			Path:    &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: "/"},
			Headers: []*snapshotv1.ValueMatch{{Name: "X-Team", Value: "platform"}},
		},
		DirectResponse: &snapshotv1.DirectResponse{Status: 200, Body: "platform route"},
	}
	return &snapshotv1.Snapshot{
		GatewayNamespace: "gloo-system", GatewayName: "ai-gateway",
		Listeners: []*snapshotv1.Listener{{
			Name: "http", Port: port, Protocol: snapshotv1.Protocol_HTTP,
			VirtualHosts: []*snapshotv1.VirtualHost{{
				Name: "http~*", Domains: []string{"*"},
				Routes: []*snapshotv1.Route{admin, public, ws, rewrite, byTeam, route("open", "/", false)},
			}},
		}},
		JwtProviders: []*snapshotv1.JwtProvider{{
			Id: "p", Name: "p", Issuer: "solo.io",
			KeySource: &snapshotv1.JwtProvider_LocalJwks{LocalJwks: key.PublicPEM(t)},
			ClaimsToHeaders: []*snapshotv1.ClaimToHeader{
				{Claim: "sub", Header: "x-user-id"}, {Claim: "team", Header: "x-team"},
			},
		}},
		Upstreams: []*snapshotv1.Upstream{{Name: "raw", Kind: &snapshotv1.Upstream_Static{Static: &snapshotv1.StaticUpstream{
			Endpoints: []*snapshotv1.Endpoint{{Host: "127.0.0.1", Port: backend.port()}},
		}}}},
	}
}

// hardenedProxy is a proxy serving hardened, with a token of team "dev" for alice.
type hardenedProxy struct {
	*harness
	backend *rawBackend
	key     *tokens.Key
	alice   string
}

func newHardenedProxy(t *testing.T, opts ...func(*proxy.Config)) *hardenedProxy {
	t.Helper()
	hp := &hardenedProxy{harness: newHarness(t, fakellm.Config{}, opts...), backend: newRawBackend(t), key: tokens.NewRSA(t, "", "RS256")}
	hp.alice = hp.key.Mint(t, map[string]any{"iss": "solo.io", "sub": "alice", "team": "dev"})
	hp.apply(hardened(t, hp.port, hp.backend, hp.key), false)
	return hp
}

// rawConn is a client connection that writes bytes as given.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (h *harness) dialRaw() *rawConn {
	h.t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+itoa(h.port))
	require.NoError(h.t, err)
	h.t.Cleanup(func() { _ = c.Close() })
	require.NoError(h.t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return &rawConn{t: h.t, c: c, br: bufio.NewReader(c)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	_, err := io.WriteString(c.c, s)
	require.NoError(c.t, err)
}

// read reads one response with its body.
func (c *rawConn) read() (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	require.NoError(c.t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	_ = resp.Body.Close()
	return resp, string(b)
}

// requireClosed waits (a second at most) for the proxy to close the connection.
func (c *rawConn) requireClosed() {
	c.t.Helper()
	require.NoError(c.t, c.c.SetReadDeadline(time.Now().Add(time.Second)))
	n, err := c.br.Read(make([]byte, 1))
	require.Zero(c.t, n)
	require.ErrorIs(c.t, err, io.EOF, "the proxy kept the connection open")
}

// forward sends a raw request that the backend must answer (200), and returns the
// request as the backend received it.
func (hp *hardenedProxy) forward(req string) rawRequest {
	hp.t.Helper()
	c := hp.dialRaw()
	c.send(req)
	resp, body := c.read()
	require.Equal(hp.t, http.StatusOK, resp.StatusCode, body)
	require.Equal(hp.t, "ok", body)
	return hp.only()
}

// only returns the single request the backend received.
func (hp *hardenedProxy) only() rawRequest {
	hp.t.Helper()
	seen := hp.backend.take()
	require.Len(hp.t, seen, 1, "requests the backend received")
	return seen[0]
}

// TestConnectionCannotRemovePolicyHeaders: a client naming the claim headers and the
// filter's header in Connection (in any spelling) does not keep them from the upstream.
func TestConnectionCannotRemovePolicyHeaders(t *testing.T) {
	hp := newHardenedProxy(t)
	for _, conn := range []string{"X-User-Id, X-Team, X-Route", "x-user-id,x-team ,x-route", "keep-alive, X-USER-ID", "close, X-Team"} {
		got := hp.forward("GET /public HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice + "\r\nConnection: " + conn + "\r\n\r\n")
		require.Equal(t, []string{"alice"}, got.header("X-User-Id"), conn)
		require.Equal(t, []string{"dev"}, got.header("X-Team"), conn)
		require.Equal(t, []string{"public"}, got.header("X-Route"), conn)
		require.Empty(t, got.header("Connection"), "a client's Connection header is its own")
	}
}

// TestUnderscoreHeadersAreDropped: X_User_Id, which CGI, WSGI and Rails read as X-User-Id,
// never reaches the upstream; a listener may allow other underscore names, never a claim
// header's.
func TestUnderscoreHeadersAreDropped(t *testing.T) {
	hp := newHardenedProxy(t)
	got := hp.forward("GET /public HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice +
		"\r\nX_User_Id: admin\r\nx_team: platform\r\nX_Custom: 1\r\n\r\n")
	for _, name := range got.names() {
		require.NotContains(t, name, "_", "header %s reached the upstream", name)
	}
	require.Equal(t, []string{"alice"}, got.header("X-User-Id"))

	s := hardened(t, hp.port, hp.backend, hp.key)
	s.Listeners[0].AllowHeadersWithUnderscores = true
	hp.apply(s, false)
	got = hp.forward("GET /public HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice + "\r\nX_User_Id: admin\r\nX_Custom: 1\r\n\r\n")
	// Go's server spells names it reads canonically: X_Custom arrives as X_custom.
	require.Equal(t, "1", got.firstHeader("X_Custom"), "the listener allows underscores")
	require.Empty(t, got.firstHeader("X_User_Id"), "a claim header's underscore spelling is never allowed")
}

// TestClientCannotChooseAClaimRoute: a client-sent X-Team (a header claimsToHeaders
// writes) is removed before routing, so it selects no route.
func TestClientCannotChooseAClaimRoute(t *testing.T) {
	hp := newHardenedProxy(t)
	for _, name := range []string{"X-Team", "x-team", "X-TEAM"} {
		c := hp.dialRaw()
		c.send("GET /other HTTP/1.1\r\nHost: gw\r\n" + name + ": platform\r\n\r\n")
		resp, body := c.read()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "ok", body, "%s chose the claim's route", name)
		require.Empty(t, hp.only().header("X-Team"))
	}
}

// TestNoH2CUpgrade: an h2c upgrade on an allowed route reaches the upstream as a plain
// request, so no HTTP/2 connection opens behind the checks.
func TestNoH2CUpgrade(t *testing.T) {
	hp := newHardenedProxy(t)
	got := hp.forward("GET /public HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice +
		"\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
	require.Empty(t, got.firstHeader("Upgrade"))
	require.Empty(t, got.firstHeader("HTTP2-Settings"))
	require.Empty(t, got.firstHeader("Connection"))
}

// TestWebSocketOnlyWhereAllowed: a WebSocket upgrade is tunnelled on a route that takes
// them (Gloo's default) and reaches a route that disables them as a plain request.
func TestWebSocketOnlyWhereAllowed(t *testing.T) {
	hp := newHardenedProxy(t)
	upgrade := "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	c := hp.dialRaw()
	c.send("GET /public HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice + upgrade)
	resp, err := http.ReadResponse(c.br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	got := hp.only()
	require.Equal(t, "websocket", got.firstHeader("Upgrade"))
	require.Equal(t, []string{"alice"}, got.header("X-User-Id"))

	c = hp.dialRaw()
	c.send("GET /ws HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice + upgrade)
	resp2, body := c.read()
	require.Equal(t, http.StatusOK, resp2.StatusCode, body)
	require.Empty(t, hp.only().firstHeader("Upgrade"))
}

// TestEveryTokenCarrierRemoved: a second token in access_token is removed along with the
// verified one in Authorization.
func TestEveryTokenCarrierRemoved(t *testing.T) {
	hp := newHardenedProxy(t)
	other := hp.key.Mint(t, map[string]any{"iss": "solo.io", "sub": "bob"})
	got := hp.forward("GET /public/x?a=1&access_token=" + other + "&b=2 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice + "\r\n\r\n")
	require.Equal(t, "GET /public/x?a=1&b=2 HTTP/1.1", got.requestLine())
	require.Empty(t, got.firstHeader("Authorization"))
	require.NotContains(t, got.head, other)
}

// TestRefusedRequestIsAnsweredWithoutItsBody: a refused request that declares a body it
// trickles (or never sends) gets its answer at once, and the connection is closed rather
// than drained.
func TestRefusedRequestIsAnsweredWithoutItsBody(t *testing.T) {
	hp := newHardenedProxy(t)
	cases := map[string]string{
		"no token, body of 100 declared, 1 sent": "POST /admin HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nx",
		"chunked body trickling":                 "POST /admin HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n",
		"token RBAC refuses":                     "POST /admin HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + hp.alice + "\r\nContent-Length: 100\r\n\r\nx",
		"Expect: 100-continue":                   "POST /admin HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
	}
	want := map[string]int{"token RBAC refuses": http.StatusForbidden}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			c := hp.dialRaw()
			c.send(req)
			start := time.Now()
			resp, _ := c.read()
			status := http.StatusUnauthorized
			if s, ok := want[name]; ok {
				status = s
			}
			require.Equal(t, status, resp.StatusCode)
			require.True(t, resp.Close, "the answer says Connection: close")
			c.requireClosed()
			require.Less(t, time.Since(start), 2*time.Second)
			require.Empty(t, hp.backend.take())
		})
	}
}

// TestPipelinedAfterARefusal: a refused request keeps the connection when its whole body
// came with it (or it has none), and the next request on it is judged on its own; the
// body is read as a body, never as a request. (A body still on its way ends the
// connection: TestRefusedRequestIsAnsweredWithoutItsBody.)
func TestPipelinedAfterARefusal(t *testing.T) {
	hp := newHardenedProxy(t)
	c := hp.dialRaw()
	c.send("GET /admin HTTP/1.1\r\nHost: gw\r\n\r\nGET /open HTTP/1.1\r\nHost: gw\r\n\r\n")
	resp, _ := c.read()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, body := c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body)
	require.Equal(t, "GET /open HTTP/1.1", hp.only().requestLine())

	// A refused request whose whole body came with it: the body is read as a body, and
	// the connection carries the next request.
	c = hp.dialRaw()
	smuggled := "GET /open/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n"
	c.send("POST /admin HTTP/1.1\r\nHost: gw\r\nContent-Length: " + strconv.Itoa(len(smuggled)) + "\r\n\r\n" + smuggled)
	resp, _ = c.read()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.False(t, resp.Close, "the whole body came: the connection stays")
	c.send("GET /open HTTP/1.1\r\nHost: gw\r\n\r\n")
	resp, body = c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body)
	require.Equal(t, "GET /open HTTP/1.1", hp.only().requestLine(), "the refused request's body was served as a request")

	// The same with a chunked body, trailer included.
	c = hp.dialRaw()
	c.send("POST /admin HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strconv.FormatInt(int64(len(smuggled)), 16) + "\r\n" + smuggled + "\r\n0\r\nX-T: 1\r\n\r\n" +
		"GET /open HTTP/1.1\r\nHost: gw\r\n\r\n")
	resp, _ = c.read()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "GET /open HTTP/1.1", hp.only().requestLine())
}

// TestRequestSmuggling: framing a front end and a backend could read differently is
// refused, or forwarded with one framing the proxy chose; a request hidden in a body
// never reaches the upstream unchecked.
func TestRequestSmuggling(t *testing.T) {
	hp := newHardenedProxy(t)
	hidden := "GET /admin/secret HTTP/1.1\r\nHost: gw\r\n\r\n"
	t.Run("Content-Length and Transfer-Encoding", func(t *testing.T) {
		c := hp.dialRaw()
		c.send("POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden)
		resp, _ := c.read()
		if resp.StatusCode == http.StatusOK {
			// The body was read as chunked; what follows is a request of its own, judged.
			resp, _ = c.read()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		} else {
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		}
		for _, got := range hp.backend.take() {
			require.NotContains(t, got.requestLine(), "/admin")
			require.NotContains(t, got.body, "/admin")
			require.False(t, got.firstHeader("Content-Length") != "" && got.firstHeader("Transfer-Encoding") != "",
				"the upstream got both framings")
		}
	})
	bad := map[string]string{
		"two different lengths":    "POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd",
		"a length list":            "POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 4, 40\r\n\r\nabcd",
		"a signed length":          "POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: +4\r\n\r\nabcd",
		"chunked, then identity":   "POST /open HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
		"an unknown coding":        "POST /open HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
		"a space before the colon": "POST /open HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
		"a bad chunk size":         "POST /open HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + hidden,
	}
	for name, req := range bad {
		t.Run(name, func(t *testing.T) {
			c := hp.dialRaw()
			c.send(req)
			resp, _ := c.read()
			// 501 is what RFC 9112 §6.1 asks for a transfer coding the server does not
			// implement; every other malformed framing is a 400.
			require.Contains(t, []int{http.StatusBadRequest, http.StatusNotImplemented}, resp.StatusCode)
			for _, got := range hp.backend.take() {
				require.NotContains(t, got.requestLine()+got.body, "/admin", "a hidden request reached the upstream")
			}
		})
	}
}

// TestSlowBodyIsCutOff: an allowed request whose body stops arriving is answered 408 once
// the body timeout expires, and the upstream is not reached.
func TestSlowBodyIsCutOff(t *testing.T) {
	hp := newHardenedProxy(t, func(c *proxy.Config) { c.BodyTimeout = 300 * time.Millisecond })
	c := hp.dialRaw()
	c.send("POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nx")
	resp, body := c.read()
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, body)
	require.Empty(t, hp.backend.take())

	// A body that arrives in time goes through, and a long answer after it is not cut.
	c = hp.dialRaw()
	c.send("POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello")
	resp, body = c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "hello", hp.only().body)
}

// TestBufferedBodiesAreBounded: past the bound on bodies held in memory, a request that
// needs its body in memory is answered 503 with Retry-After; under it, it goes through.
func TestBufferedBodiesAreBounded(t *testing.T) {
	hp := newHardenedProxy(t, func(c *proxy.Config) { c.MaxBufferedBodyBytes = 1000 })
	resp, body := hp.do(http.MethodPost, "/open", "", strings.Repeat("a", 2000))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	require.Empty(t, hp.backend.take())

	for range 3 { // the budget is given back after each request
		resp, body = hp.do(http.MethodPost, "/open", "", strings.Repeat("a", 900))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Len(t, hp.only().body, 900)
	}
}

// TestRawClientSeesCanonicalAnswers: the suite's raw client and backend agree with
// net/http on a plain request, so the cases above fail for the reason they name.
func TestRawClientSeesCanonicalAnswers(t *testing.T) {
	hp := newHardenedProxy(t)
	c := hp.dialRaw()
	c.send("POST /open HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nX-Mixed-Case: v\r\n\r\nabc")
	resp, body := c.read()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body)
	got := hp.only()
	require.Equal(t, "abc", got.body)
	require.True(t, bytes.Contains([]byte(got.head), []byte("X-Mixed-Case: v")), got.head)
}

// TestRewrittenPathIsForwardedEscaped: a path a route rewrites leaves escaped as the
// canonical path does, so the client's ';' is not a parameter delimiter upstream.
func TestRewrittenPathIsForwardedEscaped(t *testing.T) {
	hp := newHardenedProxy(t)
	for path, want := range map[string]string{
		"/rewrite/a;b":       "GET /v2/a%3Bb HTTP/1.1",
		"/rewrite/a%3Bb?q":   "GET /v2/a%3Bb?q HTTP/1.1",
		"/rewrite/caf%C3%A9": "GET /v2/caf%C3%A9 HTTP/1.1",
		"/open/a;b":          "GET /open/a%3Bb HTTP/1.1",
	} {
		got := hp.forward("GET " + path + " HTTP/1.1\r\nHost: gw\r\n\r\n")
		require.Equal(t, want, got.requestLine(), path)
	}
}
