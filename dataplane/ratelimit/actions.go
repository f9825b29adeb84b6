package ratelimit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"

	"golang.org/x/net/http/httpguts"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
)

// Request is what the actions read of a request. The proxy fills one per request; the
// package keeps nothing of it.
type Request struct {
	// Header holds the request's headers under their canonical names (as net/http
	// reads them).
	Header http.Header
	// RemoteAddr is the client's address, "host:port" or a bare host: the peer of the
	// connection, as no proxy in front is trusted.
	RemoteAddr string
	// Tokens are the verified tokens; none before authentication.
	Tokens []authz.Token
	// Destination is the name of the upstream the request goes to, when chosen.
	Destination string
}

// Entry is one entry of a request descriptor.
type Entry struct{ Key, Value string }

// Descriptor entry keys Envoy's actions use.
const (
	keyGenericKey  = "generic_key"
	keyRemoteAddr  = "remote_address"
	keyHeaderMatch = "header_match"
	keyDestination = "destination_cluster"
)

// actionList builds one request descriptor.
type actionList struct {
	actions []action
	set     bool
}

type actionKind uint8

const (
	actConstant actionKind = iota // generic_key and constant
	actHeader
	actRemoteAddr
	actHeaderMatch
	actClaim
	actDestination
)

// action yields one entry.
type action struct {
	kind  actionKind
	key   string
	value string // constant: the value; header_value_match: descriptor_value
	// header is the canonical name read by request_header.
	header string
	// claim, claimDefault: the claim's path and the value when it is absent.
	claim        []string
	claimDefault string
	// expectMatch and matchers are header_value_match's.
	expectMatch bool
	matchers    []headerMatcher
}

func compileActionList(pb *snapshotv1.RateLimitActions) (actionList, error) {
	if len(pb.GetActions()) == 0 {
		return actionList{}, errors.New("no action")
	}
	al := actionList{set: pb.GetSetStyle()}
	for i, a := range pb.GetActions() {
		ca, err := compileAction(a)
		if err != nil {
			return actionList{}, fmt.Errorf("actions[%d]: %w", i, err)
		}
		al.actions = append(al.actions, ca)
	}
	return al, nil
}

func (al *actionList) usesDestination() bool {
	for i := range al.actions {
		if al.actions[i].kind == actDestination {
			return true
		}
	}
	return false
}

func compileAction(pb *snapshotv1.RateLimitAction) (action, error) {
	switch k := pb.GetKind().(type) {
	case *snapshotv1.RateLimitAction_GenericKey:
		if k.GenericKey.GetDescriptorValue() == "" {
			return action{}, errors.New("generic_key: descriptor_value is empty")
		}
		key := k.GenericKey.GetDescriptorKey()
		if key == "" {
			key = keyGenericKey
		}
		return action{kind: actConstant, key: key, value: k.GenericKey.GetDescriptorValue()}, nil
	case *snapshotv1.RateLimitAction_RequestHeader:
		name := k.RequestHeader.GetHeaderName()
		if !httpguts.ValidHeaderFieldName(name) {
			return action{}, fmt.Errorf("request_header: header_name %q is not a header name", name)
		}
		if k.RequestHeader.GetDescriptorKey() == "" {
			return action{}, errors.New("request_header: descriptor_key is empty")
		}
		return action{kind: actHeader, key: k.RequestHeader.GetDescriptorKey(), header: http.CanonicalHeaderKey(name)}, nil
	case *snapshotv1.RateLimitAction_RemoteAddress:
		return action{kind: actRemoteAddr, key: keyRemoteAddr}, nil
	case *snapshotv1.RateLimitAction_HeaderValueMatch:
		return compileHeaderValueMatch(k.HeaderValueMatch)
	case *snapshotv1.RateLimitAction_Claim:
		return compileClaim(k.Claim)
	case *snapshotv1.RateLimitAction_Constant:
		if k.Constant.GetKey() == "" {
			return action{}, errors.New("constant: key is empty")
		}
		return action{kind: actConstant, key: k.Constant.GetKey(), value: k.Constant.GetValue()}, nil
	case *snapshotv1.RateLimitAction_DestinationCluster:
		return action{kind: actDestination, key: keyDestination}, nil
	default:
		return action{}, errors.New("no kind set")
	}
}

func compileHeaderValueMatch(pb *snapshotv1.HeaderValueMatchAction) (action, error) {
	if pb.GetDescriptorValue() == "" {
		return action{}, errors.New("header_value_match: descriptor_value is empty")
	}
	if len(pb.GetHeaders()) == 0 {
		return action{}, errors.New("header_value_match: no header to match")
	}
	a := action{kind: actHeaderMatch, key: keyHeaderMatch, value: pb.GetDescriptorValue(), expectMatch: pb.GetExpectMatch()}
	for i, h := range pb.GetHeaders() {
		m, err := compileHeaderMatcher(h)
		if err != nil {
			return action{}, fmt.Errorf("header_value_match: headers[%d]: %w", i, err)
		}
		a.matchers = append(a.matchers, m)
	}
	return a, nil
}

func compileClaim(pb *snapshotv1.ClaimAction) (action, error) {
	if pb.GetDescriptorKey() == "" {
		return action{}, errors.New("claim: descriptor_key is empty")
	}
	for i, p := range pb.GetPath() {
		if p == "" {
			return action{}, fmt.Errorf("claim: path[%d] is empty", i)
		}
	}
	return action{
		kind: actClaim, key: pb.GetDescriptorKey(),
		claim: append([]string(nil), pb.GetPath()...), claimDefault: pb.GetDefaultValue(),
	}, nil
}

// entry returns the action's entry for req, or false when the action yields nothing.
func (a *action) entry(req *Request) (Entry, bool) {
	switch a.kind {
	case actConstant:
		return Entry{a.key, a.value}, true
	case actHeader:
		vs := req.Header[a.header]
		if len(vs) == 0 {
			return Entry{}, false
		}
		return Entry{a.key, vs[0]}, true // Envoy reads the first value
	case actRemoteAddr:
		host := remoteHost(req.RemoteAddr)
		return Entry{a.key, host}, host != ""
	case actHeaderMatch:
		return Entry{a.key, a.value}, matchAll(a.matchers, req.Header) == a.expectMatch
	case actClaim:
		if len(a.claim) == 0 { // metadata the proxy never has: the default, or nothing
			return Entry{a.key, a.claimDefault}, a.claimDefault != ""
		}
		if v, ok := claimValue(req.Tokens, a.claim); ok {
			return Entry{a.key, v}, true
		}
		return Entry{a.key, a.claimDefault}, a.claimDefault != ""
	case actDestination:
		return Entry{a.key, req.Destination}, req.Destination != ""
	}
	return Entry{}, false
}

// remoteHost is the host part of addr.
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// claimValue reads the claim at path from the first token that has it: a string as it
// is, anything else as JSON. An empty string counts as absent, as Envoy's metadata action
// treats an empty value.
func claimValue(tokens []authz.Token, path []string) (string, bool) {
	for i := range tokens {
		v, ok := authz.ClaimAt(tokens[i].Claims, path)
		if !ok || v == nil {
			continue
		}
		if s, ok := v.(string); ok {
			if s == "" {
				continue
			}
			return s, true
		}
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		return string(b), true
	}
	return "", false
}
