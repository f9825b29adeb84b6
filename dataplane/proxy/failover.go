package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/llm"
)

// Failover upstreams (Gloo's ai.multi, a snapshot FailoverUpstream): AI providers by
// priority. A request goes to the first priority with a member that is not ejected,
// and within it to the members in turn (round robin, skipping ejected ones). A retry of
// a route whose retry policy sets previous_priorities goes to the next priority (after
// the last, the last again) once update_frequency attempts (1 by default) were made at
// its priority; otherwise to the next member of the same priority.
// Every attempt is made as the member's own single provider would make it: its
// provider's path and key header, its key, its endpoint, its model in place of the
// body's, and the answer metered as its provider's (failover_transport.go). Members
// that keep failing are ejected for a while (failover_health.go).

// failover is a compiled FailoverUpstream.
type failover struct {
	name       string
	priorities []*priority
	// now is the proxy's clock, which ejection reads.
	now func() time.Time
	// attempts counts attempts by priority and result (nil in some tests).
	attempts *failoverCounters
	// log records ejections.
	log logr.Logger
}

// priority is one priority of a failover upstream.
type priority struct {
	index   int
	label   string // index, for metrics and the access log
	members []*member
	next    atomic.Uint64
}

// member is one provider of a priority: its adapter, the transport to its endpoint and
// its health.
type member struct {
	label     string // index within its priority
	adapter   *llm.Adapter
	transport http.RoundTripper
	// identity is what makes a member of the next snapshot, at the same place, the same
	// member: its provider, endpoint and model.
	identity string
	// health is shared with the same member of the snapshots before and after.
	health *health
}

func compileFailover(name string, f *snapshotv1.FailoverUpstream, tr *llm.Transports, now func() time.Time, log logr.Logger) (*failover, error) {
	out := &failover{name: name, now: now, log: log}
	if len(f.GetPriorities()) == 0 {
		return nil, errors.New("failover upstream has no priority")
	}
	for i, p := range f.GetPriorities() {
		prio := &priority{index: i, label: strconv.Itoa(i)}
		if len(p.GetPool()) == 0 {
			return nil, fmt.Errorf("failover priority %d has no member", i)
		}
		for j, u := range p.GetPool() {
			a, err := llm.Compile(u)
			if err != nil {
				return nil, fmt.Errorf("failover priority %d member %d: %w", i, j, err)
			}
			ep := a.Endpoint()
			prio.members = append(prio.members, &member{
				label: strconv.Itoa(j), adapter: a, transport: tr.For(ep), health: &health{},
				identity: a.Provider() + " " + ep.Scheme + "://" + ep.HostPort + " " + a.Model(),
			})
		}
		out.priorities = append(out.priorities, prio)
	}
	return out, nil
}

// choose returns the priority and member of the next attempt of the request cur
// follows, and records them in cur.
func (f *failover) choose(cur *failoverCursor) (*priority, *member) {
	now := f.now()
	start, from := 0, -1
	if cur.made > 0 {
		start, from = cur.priority, cur.member
		if cur.previousPriorities && cur.atPriority >= cur.updateFrequency && start < len(f.priorities)-1 {
			start, from = start+1, -1
		}
	}
	p, m := f.healthy(start, from, now)
	if m == nil { // every member from start on is ejected: try anyway
		p = f.priorities[start]
		m = p.pick(from, now, true)
	}
	if cur.made == 0 || p.index != cur.priority {
		cur.atPriority = 0
	}
	cur.made++
	cur.atPriority++
	cur.priority, cur.member = p.index, indexOf(p.members, m)
	return p, m
}

// healthy is the first member not ejected at now, from priority start on; in priority
// start, the members after from come first.
func (f *failover) healthy(start, from int, now time.Time) (*priority, *member) {
	for i := start; i < len(f.priorities); i++ {
		p := f.priorities[i]
		if i != start {
			from = -1
		}
		if m := p.pick(from, now, false); m != nil {
			return p, m
		}
	}
	return nil, nil
}

// pick is the member whose turn it is, not ejected unless any: a first attempt at p
// (from < 0) takes p's next turn; a retry within p takes the member after from.
func (p *priority) pick(from int, now time.Time, any bool) *member {
	n := len(p.members)
	first := from + 1
	if from < 0 {
		first = 0
		if n > 1 {
			first = int((p.next.Add(1) - 1) % uint64(n))
		}
	}
	for k := range n {
		m := p.members[(first+k)%n]
		if any || !m.health.ejected(now) {
			return m
		}
	}
	return nil
}

func indexOf(ms []*member, m *member) int {
	for i, x := range ms {
		if x == m {
			return i
		}
	}
	return -1
}

// members calls fn for every member of f, by priority.
func (f *failover) members(fn func(p *priority, m *member)) {
	for _, p := range f.priorities {
		for _, m := range p.members {
			fn(p, m)
		}
	}
}

// inherit takes over the health of the members of prev, the same upstream in the
// snapshot served before, that are the same members at the same place: a new snapshot
// (any change of the configuration) neither forgets an ejection nor its counts.
func (f *failover) inherit(prev *failover) {
	if prev == nil {
		return
	}
	for i, p := range f.priorities {
		if i >= len(prev.priorities) {
			return
		}
		for j, m := range p.members {
			if j < len(prev.priorities[i].members) && prev.priorities[i].members[j].identity == m.identity {
				m.health = prev.priorities[i].members[j].health
			}
		}
	}
}
