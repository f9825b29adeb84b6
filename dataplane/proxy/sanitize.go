package proxy

import (
	"net/http"
	"net/textproto"
	"strings"
)

// The request's head is made safe once, before routing, so that routing, authentication,
// authorization and the upstream all see one set of headers: the one the proxy forwards
// (plus what policy adds). Envoy does the same in its connection manager before any
// filter runs.
//
//   - Hop-by-hop headers, and every header the client names in Connection, belong to the
//     client's connection: they are removed here, so a client cannot name a header the
//     policy sets (a claim header, say) and have the reverse proxy delete it on the way out.
//   - Upgrade and HTTP2-Settings are removed: an h2c upgrade never reaches an upstream
//     (it would open an HTTP/2 connection on which no request is checked). A WebSocket
//     upgrade is put back once routed, where the route allows it.
//   - Headers whose names contain '_' are dropped unless the port allows them (Envoy's
//     headers_with_underscores_action): CGI, WSGI and Rails read X_User_Id as X-User-Id.
//   - Client-sent values of the headers claimsToHeaders writes are removed, so no route
//     is chosen, and no upstream reached, by a value the client wrote in a claim's place.

// hopByHop are the headers of RFC 9110 §7.6.1 and their historical companions, plus
// HTTP2-Settings, which only an h2c upgrade carries.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Trailer", "Transfer-Encoding", "Upgrade", "Http2-Settings",
}

// sanitizeHeaders cleans h in place as the package comment says and reports whether the
// client asked for a WebSocket upgrade. claimHeaders holds the canonical names of every
// header the snapshot's claimsToHeaders write.
func sanitizeHeaders(h http.Header, allowUnderscores bool, claimHeaders map[string]struct{}) (websocket bool) {
	if conn := h["Connection"]; len(conn) > 0 {
		websocket = wantsWebSocket(conn, h["Upgrade"])
		for _, v := range conn {
			for name := range strings.SplitSeq(v, ",") {
				if name = textproto.TrimString(name); name != "" {
					delete(h, textproto.CanonicalMIMEHeaderKey(name))
				}
			}
		}
	}
	for _, name := range hopByHop {
		delete(h, name)
	}
	if te, ok := h["Te"]; ok {
		// The only TE value an upstream may see is "trailers" (gRPC needs it); the
		// reverse proxy sends it on when the client asked.
		if hasToken(te, "trailers") {
			h["Te"] = []string{"trailers"}
		} else {
			delete(h, "Te")
		}
	}
	for name := range claimHeaders {
		delete(h, name)
	}
	for name := range h {
		if strings.IndexByte(name, '_') < 0 {
			continue
		}
		if !allowUnderscores || isClaimHeader(name, claimHeaders) {
			delete(h, name)
		}
	}
	return websocket
}

// isClaimHeader reports whether name, with '_' read as '-', is a claim header.
func isClaimHeader(name string, claimHeaders map[string]struct{}) bool {
	if len(claimHeaders) == 0 {
		return false
	}
	_, ok := claimHeaders[textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(name, "_", "-"))]
	return ok
}

// wantsWebSocket reports whether Connection names upgrade and Upgrade offers websocket.
func wantsWebSocket(conn, upgrade []string) bool {
	return hasToken(conn, "upgrade") && hasToken(upgrade, "websocket")
}

// hasToken reports whether any comma-separated element of values equals token, ignoring
// case.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(elem), token) {
				return true
			}
		}
	}
	return false
}

// allowWebSocket puts back the upgrade headers sanitizeHeaders removed, for a route that
// takes WebSocket upgrades; the reverse proxy then tunnels a 101 answer.
func allowWebSocket(h http.Header) {
	h["Connection"] = []string{"Upgrade"}
	h["Upgrade"] = []string{"websocket"}
}
