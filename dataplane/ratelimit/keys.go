package ratelimit

import (
	"crypto/sha256"
	"encoding/binary"
)

// maxKeyPrefix bounds the stored part of a counter's name: a longer one (long header
// values) is replaced by its SHA-256, so a counter's memory is bounded whatever the
// request carries.
const maxKeyPrefix = 256

// Kinds of counter names.
const (
	keyTree   = 'd' // a tree descriptor: the request descriptor's entries
	keySet    = 's' // a set descriptor: its index and the request's values of its entries
	keyDigest = 'h' // either, hashed
)

// A counter's key is, each string preceded by its length as a uvarint: the policy's
// name, the kind, the entries (key, value), then the unit and the window's start. The
// part before the unit is the key's prefix, the same in every window.

// addTree adds the tree limit lim reached by entries.
func (d *Decision) addTree(p *Policy, lim *limit, entries []Entry, now int64) {
	start := len(d.keys)
	d.keys = appendString(d.keys, p.name)
	d.keys = append(d.keys, keyTree)
	for _, e := range entries {
		d.keys = appendString(appendString(d.keys, e.Key), e.Value)
	}
	d.addPending(pending{policy: p, lim: lim, tree: true, keyStart: start}, now)
}

// addSet adds the set limit s (the policy's i-th) met by entries.
func (d *Decision) addSet(p *Policy, i int, s *setLimit, entries []Entry, now int64) {
	start := len(d.keys)
	d.keys = appendString(d.keys, p.name)
	d.keys = append(d.keys, keySet)
	d.keys = binary.AppendUvarint(d.keys, uint64(i))
	for _, e := range s.entries {
		got := entries[e.find(entries)]
		d.keys = appendString(appendString(d.keys, got.Key), got.Value)
	}
	d.addPending(pending{policy: p, lim: s.limit, keyStart: start}, now)
}

// addPending ends the key begun at pd.keyStart and adds pd.
func (d *Decision) addPending(pd pending, now int64) {
	if len(d.keys)-pd.keyStart > maxKeyPrefix {
		sum := sha256.Sum256(d.keys[pd.keyStart:])
		d.keys = appendString(d.keys[:pd.keyStart], pd.policy.name)
		d.keys = append(d.keys, keyDigest)
		d.keys = append(d.keys, sum[:]...)
	}
	pd.prefixEnd = len(d.keys)
	d.keys = appendWindow(d.keys, pd.lim, now)
	pd.keyEnd = len(d.keys)
	d.pending = append(d.pending, pd)
}

// windowStart is the start of lim's window holding now (Unix seconds): windows are
// aligned to the unit's boundary in UTC.
func windowStart(lim *limit, now int64) int64 { return now - mod(now, lim.window) }

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func appendWindow(b []byte, lim *limit, now int64) []byte {
	b = append(b, byte(lim.unit))
	return binary.BigEndian.AppendUint64(b, uint64(windowStart(lim, now)))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
