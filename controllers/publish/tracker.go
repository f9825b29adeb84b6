package publish

import (
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Tracker records, per Gateway and proxy instance, the last version acknowledged and the
// last version rejected. Only connected proxies are tracked: a proxy that disconnects is
// forgotten when its last stream ends. It is safe for concurrent use.
type Tracker struct {
	clock    clock.PassiveClock
	onChange func()

	mu      sync.Mutex
	proxies map[types.NamespacedName]map[string]*ProxyState
}

// ProxyState is what one connected proxy instance said last.
type ProxyState struct {
	// Instance identifies the proxy among its Gateway's proxies.
	Instance string
	// Acked is the last version the proxy acknowledged (or announced it serves).
	Acked string
	// Nacked and NackError are the last version the proxy rejected and why.
	Nacked, NackError string
	// Updated is when the proxy last connected, acknowledged or rejected.
	Updated time.Time

	streams int
}

// Rollout says how far a version has reached the connected proxies of a Gateway.
type Rollout struct {
	// Connected counts the proxy instances with an open stream.
	Connected int
	// Acked counts those that acknowledged the version.
	Acked int
	// Rejections are the proxies that rejected the version, sorted by instance.
	Rejections []Rejection
}

// Rejection is one proxy's NACK of a version.
type Rejection struct {
	Instance string
	Error    string
}

// NewTracker returns an empty tracker. onChange, when set, is called (outside the lock)
// after every connection, disconnection, ACK and NACK.
func NewTracker(clk clock.PassiveClock, onChange func()) *Tracker {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Tracker{clock: clk, onChange: onChange, proxies: map[types.NamespacedName]map[string]*ProxyState{}}
}

// Connect records a new stream of instance; current is the version it serves already.
func (t *Tracker) Connect(gw types.NamespacedName, instance, current string) {
	t.update(gw, instance, func(p *ProxyState) {
		p.streams++
		if current != "" {
			p.Acked = current
		}
	})
}

// Disconnect records the end of a stream of instance.
func (t *Tracker) Disconnect(gw types.NamespacedName, instance string) {
	t.mu.Lock()
	if p, ok := t.proxies[gw][instance]; ok {
		p.streams--
		if p.streams <= 0 {
			delete(t.proxies[gw], instance)
		}
		if len(t.proxies[gw]) == 0 {
			delete(t.proxies, gw)
		}
	}
	t.mu.Unlock()
	t.notify()
}

// Ack records that instance serves version.
func (t *Tracker) Ack(gw types.NamespacedName, instance, version string) {
	t.update(gw, instance, func(p *ProxyState) { p.Acked = version })
}

// Nack records that instance rejected version, and why.
func (t *Tracker) Nack(gw types.NamespacedName, instance, version, reason string) {
	t.update(gw, instance, func(p *ProxyState) { p.Nacked, p.NackError = version, reason })
}

// Rollout reports how many connected proxies of gw acknowledged version and which
// rejected it.
func (t *Tracker) Rollout(gw types.NamespacedName, version string) Rollout {
	t.mu.Lock()
	defer t.mu.Unlock()
	var r Rollout
	for _, p := range t.proxies[gw] {
		r.Connected++
		switch {
		case p.Acked == version:
			r.Acked++
		case p.Nacked == version:
			r.Rejections = append(r.Rejections, Rejection{Instance: p.Instance, Error: p.NackError})
		}
	}
	sort.Slice(r.Rejections, func(i, j int) bool { return r.Rejections[i].Instance < r.Rejections[j].Instance })
	return r
}

// Proxies returns a copy of the state of gw's connected proxies, sorted by instance.
func (t *Tracker) Proxies(gw types.NamespacedName) []ProxyState {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ProxyState, 0, len(t.proxies[gw]))
	for _, p := range t.proxies[gw] {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Instance < out[j].Instance })
	return out
}

func (t *Tracker) update(gw types.NamespacedName, instance string, f func(*ProxyState)) {
	t.mu.Lock()
	byInstance, ok := t.proxies[gw]
	if !ok {
		byInstance = map[string]*ProxyState{}
		t.proxies[gw] = byInstance
	}
	p, ok := byInstance[instance]
	if !ok {
		p = &ProxyState{Instance: instance}
		byInstance[instance] = p
	}
	f(p)
	p.Updated = t.clock.Now()
	t.mu.Unlock()
	t.notify()
}

func (t *Tracker) notify() {
	if t.onChange != nil {
		t.onChange()
	}
}
