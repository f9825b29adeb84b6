package ratelimit

import (
	"errors"
	"fmt"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// maxDepth bounds the nesting of the descriptor tree, and so the work of one lookup.
const maxDepth = 32

// Policy is a compiled RateLimitPolicy. It is immutable and safe for concurrent use.
type Policy struct {
	name string
	// tokens makes the limits count LLM tokens instead of requests.
	tokens bool
	// stopStreams and reserveMaxTokens are the policy's opt-ins, kept for the stages
	// that act on them.
	stopStreams, reserveMaxTokens bool
	// tree is the top level of the descriptor tree.
	tree children
	// actions build the request descriptors, in order.
	actions []actionList
	// sets are the set-style limits, in order.
	sets []setLimit
	// usesDestination is set when an action reads the chosen upstream.
	usesDestination bool
}

// entryKey is a descriptor entry as a map key; a key-only node has value "".
type entryKey struct{ key, value string }

// children are the nodes of one level of the tree by key and value.
type children map[entryKey]*node

// node is one configured descriptor.
type node struct {
	limit    *limit // nil: no limit ends here
	children children
}

// limit is a compiled RateLimit with the weight of the node that holds it.
type limit struct {
	perUnit     uint64
	unit        snapshotv1.RateLimitUnit
	window      int64 // seconds
	weight      uint32
	alwaysApply bool
	// label names the configured descriptor for metrics: its keys and configured values
	// from the top of the tree ("user-id", "type=Whatsapp.number=411"), or a set's
	// entries ("set:plan=BASIC,account_id"). It never holds a request's own values.
	label string
}

// Name is the policy's name, "<namespace>/<name>" of its RateLimitConfig.
func (p *Policy) Name() string { return p.name }

// Tokens reports whether the policy's limits count LLM tokens.
func (p *Policy) Tokens() bool { return p.tokens }

// StopStreams reports whether a streamed answer is ended when its owner's tokens cross
// the limit (opt-in).
func (p *Policy) StopStreams() bool { return p.stopStreams }

// ReserveMaxTokens reports whether a request's max_tokens must fit before it is admitted
// (opt-in).
func (p *Policy) ReserveMaxTokens() bool { return p.reserveMaxTokens }

// hitLimit is the Hit.Limit of lim's counters: 0 for a policy whose counters may fall
// (a reservation or a stopped stream's estimate given back), which a store must then
// always count.
func (p *Policy) hitLimit(lim *limit) uint64 {
	if p.stopStreams || p.reserveMaxTokens {
		return 0
	}
	return lim.perUnit
}

// UsesDestination reports whether an action reads the upstream the request goes to, which
// must then be chosen before the policy is checked.
func (p *Policy) UsesDestination() bool { return p.usesDestination }

// Compile validates pb and compiles it. Errors name the field that is wrong.
func Compile(pb *snapshotv1.RateLimitPolicy) (*Policy, error) {
	if pb == nil {
		return nil, errors.New("policy is absent")
	}
	if pb.GetName() == "" {
		return nil, errors.New("name is empty")
	}
	p := &Policy{
		name: pb.GetName(), tokens: pb.GetTokens(),
		stopStreams: pb.GetStopStreams(), reserveMaxTokens: pb.GetReserveMaxTokens(),
	}
	var err error
	if p.tree, err = compileTree(pb.GetDescriptors(), "descriptors", "", 1); err != nil {
		return nil, err
	}
	for i, a := range pb.GetActions() {
		al, err := compileActionList(a)
		if err != nil {
			return nil, fmt.Errorf("actions[%d]: %w", i, err)
		}
		p.usesDestination = p.usesDestination || al.usesDestination()
		p.actions = append(p.actions, al)
	}
	for i, s := range pb.GetSetDescriptors() {
		sl, err := compileSet(s)
		if err != nil {
			return nil, fmt.Errorf("set_descriptors[%d]: %w", i, err)
		}
		p.sets = append(p.sets, sl)
	}
	return p, nil
}

// compileTree compiles one level of descriptors; where names it in errors, label is the
// parent's limit label.
func compileTree(ds []*snapshotv1.RateLimitDescriptor, where, label string, depth int) (children, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: descriptors are nested deeper than %d", where, maxDepth)
	}
	out := make(children, len(ds))
	for i, d := range ds {
		at := fmt.Sprintf("%s[%d]", where, i)
		if d.GetKey() == "" {
			return nil, fmt.Errorf("%s: key is empty", at)
		}
		k := entryKey{key: d.GetKey(), value: d.GetValue()}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s: key %q with value %q is listed twice", at, k.key, k.value)
		}
		n := &node{}
		nodeLabel := entryLabel(label, ".", k)
		if d.GetLimit() != nil {
			lim, err := compileLimit(d.GetLimit())
			if err != nil {
				return nil, fmt.Errorf("%s: limit: %w", at, err)
			}
			lim.weight, lim.alwaysApply, lim.label = d.GetWeight(), d.GetAlwaysApply(), nodeLabel
			n.limit = lim
		}
		var err error
		if n.children, err = compileTree(d.GetDescriptors(), at+".descriptors", nodeLabel, depth+1); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, nil
}

// entryLabel appends k to a limit label after sep: "key" or "key=value".
func entryLabel(label, sep string, k entryKey) string {
	if label != "" {
		label += sep
	}
	label += k.key
	if k.value != "" {
		label += "=" + k.value
	}
	return label
}

// unitSeconds are the windows of the units.
var unitSeconds = map[snapshotv1.RateLimitUnit]int64{
	snapshotv1.RateLimitUnit_SECOND: 1,
	snapshotv1.RateLimitUnit_MINUTE: 60,
	snapshotv1.RateLimitUnit_HOUR:   3600,
	snapshotv1.RateLimitUnit_DAY:    86400,
}

func compileLimit(l *snapshotv1.RateLimit) (*limit, error) {
	w, ok := unitSeconds[l.GetUnit()]
	if !ok {
		return nil, fmt.Errorf("unit %s is not one of SECOND, MINUTE, HOUR, DAY", l.GetUnit())
	}
	return &limit{perUnit: uint64(l.GetRequestsPerUnit()), unit: l.GetUnit(), window: w}, nil
}
