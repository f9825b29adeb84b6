package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Gloo's headerManipulation adds and removes headers of the request sent upstream and of
// the answer sent to the client. For each direction the removals run first, then the
// additions in order (append adds a value, otherwise the value replaces the header's).
// It is compiled into header modifiers that run after the route's Gateway API filters,
// so a route pays nothing more per request than for its filters.
//
// What it may touch, decided when the snapshot is compiled:
//   - Host is never added or removed (Envoy refuses host and pseudo-headers too): the
//     upstream's Host is the route's host rewrite's, or the provider's.
//   - Hop-by-hop headers, those the proxy frames the message with (Content-Length,
//     Transfer-Encoding, TE, Trailer) and Upgrade are never added: they would make the
//     reverse proxy drop headers named in Connection, or desynchronise the message.
//     Removing them is allowed and changes nothing: the proxy removed them already.
//   - A name with '_' that reads as a claim header with '-' is never added: CGI-style
//     upstreams would take it for the claim.
//   - Values are literal; CR, LF, NUL and the other control characters but tab are
//     refused.
//
// The request additions run after JWT authentication has written the claim headers,
// as Envoy's router applies request_headers_to_add after jwt_authn: the operator's own
// literal values may replace a claim header or add to it, a client's never can (the
// client's values are removed before routing).

// headerManipRefused are the names headerManipulation never adds.
var headerManipRefused = func() map[string]struct{} {
	m := map[string]struct{}{"Host": {}, "Content-Length": {}, "Te": {}}
	for _, n := range hopByHop {
		m[n] = struct{}{}
	}
	return m
}()

// compileHeaderManipulation validates hm and returns the request and response header
// modifiers that carry it out. claimHeaders are the snapshot's claim header names.
func compileHeaderManipulation(hm *snapshotv1.HeaderManipulation, claimHeaders map[string]struct{}) (req, resp []*headerMod, err error) {
	if hm == nil {
		return nil, nil, nil
	}
	if req, err = headerManipMods(hm.GetRequestHeadersToRemove(), hm.GetRequestHeadersToAdd(), claimHeaders); err != nil {
		return nil, nil, fmt.Errorf("header manipulation: request: %w", err)
	}
	if resp, err = headerManipMods(hm.GetResponseHeadersToRemove(), hm.GetResponseHeadersToAdd(), claimHeaders); err != nil {
		return nil, nil, fmt.Errorf("header manipulation: response: %w", err)
	}
	return req, resp, nil
}

// headerManipMods turns one direction into modifiers: one that removes, then one per
// addition, so additions apply in order whatever their mix of append and replace.
func headerManipMods(remove []string, add []*snapshotv1.HeaderValueOption, claimHeaders map[string]struct{}) ([]*headerMod, error) {
	var mods []*headerMod
	if len(remove) > 0 {
		rm := &headerMod{}
		for _, n := range remove {
			if err := checkHeaderName(n); err != nil {
				return nil, fmt.Errorf("headers to remove: %w", err)
			}
			if http.CanonicalHeaderKey(n) == "Host" {
				return nil, errors.New("headers to remove: Host cannot be removed")
			}
			rm.remove = append(rm.remove, http.CanonicalHeaderKey(n))
		}
		mods = append(mods, rm)
	}
	for _, a := range add {
		h, err := headerToAdd(a, claimHeaders)
		if err != nil {
			return nil, fmt.Errorf("headers to add: %w", err)
		}
		if a.GetAppend() {
			mods = append(mods, &headerMod{add: []header{h}})
		} else {
			mods = append(mods, &headerMod{set: []header{h}})
		}
	}
	return mods, nil
}

// headerToAdd validates one addition.
func headerToAdd(a *snapshotv1.HeaderValueOption, claimHeaders map[string]struct{}) (header, error) {
	if err := checkHeaderName(a.GetName()); err != nil {
		return header{}, err
	}
	name := http.CanonicalHeaderKey(a.GetName())
	if _, refused := headerManipRefused[name]; refused {
		return header{}, fmt.Errorf("%s is managed by the proxy and cannot be added", name)
	}
	if strings.IndexByte(name, '_') >= 0 && isClaimHeader(name, claimHeaders) {
		return header{}, fmt.Errorf("%s would read as a claim header", name)
	}
	if i := strings.IndexFunc(a.GetValue(), isControl); i >= 0 {
		return header{}, fmt.Errorf("%s: value has a control character at byte %d", name, i)
	}
	return header{name, a.GetValue()}, nil
}

// checkHeaderName reports an error unless name is an HTTP token (RFC 9110 section 5.6.2).
func checkHeaderName(name string) error {
	if name == "" {
		return errors.New("header name is empty")
	}
	if !httpguts.ValidHeaderFieldName(name) {
		return fmt.Errorf("header name %q is not an HTTP token", name)
	}
	return nil
}

// isControl reports whether r may not appear in a header value: a control character
// other than tab.
func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }
