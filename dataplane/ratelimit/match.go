package ratelimit

// lookup walks a request descriptor's entries down the tree, as envoyproxy/ratelimit
// does: at each level the child with the entry's key and value, else the key-only child.
// The limit is that of the node where the last entry lands; a descriptor that leaves the
// tree early, or ends at a node without limit, has none.
func (p *Policy) lookup(entries []Entry) *limit {
	level := p.tree
	for i, e := range entries {
		n := level[entryKey{key: e.Key, value: e.Value}]
		if n == nil {
			n = level[entryKey{key: e.Key}]
		}
		if n == nil {
			return nil
		}
		if i == len(entries)-1 {
			return n.limit
		}
		level = n.children
	}
	return nil
}

// collect builds p's request descriptors for req and adds the limits they reach to d.
// Of the tree's limits only those of the highest weight are kept, with those that always
// apply. Of the set descriptors a set-style request descriptor meets, the first one in
// order applies, with the later ones that always apply.
func (p *Policy) collect(req *Request, d *Decision, now int64) {
	first := len(d.pending)
	for i := range p.actions {
		al := &p.actions[i]
		start := len(d.entries)
		if !al.build(req, d) {
			d.entries = d.entries[:start]
			continue
		}
		entries := d.entries[start:]
		if al.set {
			p.matchSets(entries, d, now)
		} else if lim := p.lookup(entries); lim != nil {
			d.addTree(p, lim, entries, now)
		}
	}
	keepHeaviest(d, first)
}

// build appends the list's entries to d.entries and reports whether every action
// yielded one (a descriptor with a missing entry is dropped, as Envoy does).
func (al *actionList) build(req *Request, d *Decision) bool {
	for i := range al.actions {
		e, ok := al.actions[i].entry(req)
		if !ok {
			return false
		}
		d.entries = append(d.entries, e)
	}
	return true
}

func (p *Policy) matchSets(entries []Entry, d *Decision, now int64) {
	matched := false
	for i := range p.sets {
		s := &p.sets[i]
		if (matched && !s.alwaysApply) || !s.matches(entries) {
			continue
		}
		d.addSet(p, i, s, entries, now)
		matched = true
	}
}

// keepHeaviest drops from d.pending[first:] the tree limits lighter than the heaviest
// one, unless they always apply.
func keepHeaviest(d *Decision, first int) {
	var heaviest uint32
	for _, pd := range d.pending[first:] {
		if pd.tree {
			heaviest = max(heaviest, pd.lim.weight)
		}
	}
	if heaviest == 0 {
		return
	}
	kept := d.pending[:first]
	for _, pd := range d.pending[first:] {
		if !pd.tree || pd.lim.weight == heaviest || pd.lim.alwaysApply {
			kept = append(kept, pd)
		}
	}
	d.pending = kept
}
