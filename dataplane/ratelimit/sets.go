package ratelimit

import (
	"errors"
	"fmt"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// setLimit is a compiled RateLimitSetDescriptor: it applies to a set-style request
// descriptor that holds every one of its entries, in any order (an entry without value
// takes any value).
type setLimit struct {
	entries     []entryKey
	limit       *limit
	alwaysApply bool
}

func compileSet(pb *snapshotv1.RateLimitSetDescriptor) (setLimit, error) {
	if pb.GetLimit() == nil {
		return setLimit{}, errors.New("limit is absent")
	}
	lim, err := compileLimit(pb.GetLimit())
	if err != nil {
		return setLimit{}, fmt.Errorf("limit: %w", err)
	}
	s := setLimit{limit: lim, alwaysApply: pb.GetAlwaysApply()}
	seen := map[string]bool{}
	for i, e := range pb.GetEntries() {
		if e.GetKey() == "" {
			return setLimit{}, fmt.Errorf("entries[%d]: key is empty", i)
		}
		if seen[e.GetKey()] {
			return setLimit{}, fmt.Errorf("entries[%d]: key %q is listed twice", i, e.GetKey())
		}
		seen[e.GetKey()] = true
		s.entries = append(s.entries, entryKey{key: e.GetKey(), value: e.GetValue()})
	}
	label := ""
	for _, e := range s.entries {
		label = entryLabel(label, ",", e)
	}
	lim.label = "set:" + label
	return s, nil
}

// find returns the index of the request entry that e matches, or -1.
func (e entryKey) find(entries []Entry) int {
	for i := range entries {
		if entries[i].Key == e.key && (e.value == "" || entries[i].Value == e.value) {
			return i
		}
	}
	return -1
}

// matches reports whether every entry of s is among entries.
func (s *setLimit) matches(entries []Entry) bool {
	for _, e := range s.entries {
		if e.find(entries) < 0 {
			return false
		}
	}
	return true
}
