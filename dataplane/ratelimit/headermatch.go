package ratelimit

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// maxRegexBytes bounds a header matcher's regex, as Envoy's validation does.
const maxRegexBytes = 1024

type matchKind uint8

const (
	matchPresent matchKind = iota // also a matcher that sets no match
	matchExact
	matchRegex
	matchRange
	matchPrefix
	matchSuffix
)

// headerMatcher is a compiled RateLimitHeaderMatcher, matching as Envoy's HeaderMatcher:
// a header with several values is matched as their comma-joined list, and an absent
// header matches nothing but a presence test (present: false, or present: true
// inverted).
type headerMatcher struct {
	name       string // canonical
	kind       matchKind
	value      string
	re         *regexp.Regexp
	start, end int64
	present    bool
	invert     bool
}

func compileHeaderMatcher(pb *snapshotv1.RateLimitHeaderMatcher) (headerMatcher, error) {
	if !httpguts.ValidHeaderFieldName(pb.GetName()) {
		return headerMatcher{}, fmt.Errorf("name %q is not a header name", pb.GetName())
	}
	m := headerMatcher{name: http.CanonicalHeaderKey(pb.GetName()), invert: pb.GetInvert(), present: true}
	switch k := pb.GetMatch().(type) {
	case nil:
	case *snapshotv1.RateLimitHeaderMatcher_Present:
		m.present = k.Present
	case *snapshotv1.RateLimitHeaderMatcher_Exact:
		m.kind, m.value = matchExact, k.Exact
	case *snapshotv1.RateLimitHeaderMatcher_Prefix:
		if k.Prefix == "" {
			return headerMatcher{}, errors.New("prefix is empty (present matches any value)")
		}
		m.kind, m.value = matchPrefix, k.Prefix
	case *snapshotv1.RateLimitHeaderMatcher_Suffix:
		if k.Suffix == "" {
			return headerMatcher{}, errors.New("suffix is empty (present matches any value)")
		}
		m.kind, m.value = matchSuffix, k.Suffix
	case *snapshotv1.RateLimitHeaderMatcher_Range:
		if k.Range.GetStart() >= k.Range.GetEnd() {
			return headerMatcher{}, fmt.Errorf("range [%d, %d) is empty", k.Range.GetStart(), k.Range.GetEnd())
		}
		m.kind, m.start, m.end = matchRange, k.Range.GetStart(), k.Range.GetEnd()
	case *snapshotv1.RateLimitHeaderMatcher_Regex:
		re, err := compileWholeRegex(k.Regex)
		if err != nil {
			return headerMatcher{}, err
		}
		m.kind, m.re = matchRegex, re
	}
	return m, nil
}

// compileWholeRegex compiles re to match a whole value. re must parse on its own, so
// that anchoring cannot give it a meaning it does not have ("a)|(b").
func compileWholeRegex(re string) (*regexp.Regexp, error) {
	if len(re) > maxRegexBytes {
		return nil, fmt.Errorf("regex is longer than %d bytes", maxRegexBytes)
	}
	if _, err := regexp.Compile(re); err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	whole, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	return whole, nil
}

// matchAll reports whether every matcher holds for h.
func matchAll(ms []headerMatcher, h http.Header) bool {
	for i := range ms {
		if !ms[i].matches(h) {
			return false
		}
	}
	return true
}

func (m *headerMatcher) matches(h http.Header) bool {
	vs := h[m.name]
	if len(vs) == 0 {
		return m.kind == matchPresent && m.present == m.invert
	}
	v := vs[0]
	if len(vs) > 1 {
		v = strings.Join(vs, ",")
	}
	var ok bool
	switch m.kind {
	case matchPresent:
		ok = m.present
	case matchExact:
		ok = v == m.value
	case matchPrefix:
		ok = strings.HasPrefix(v, m.value)
	case matchSuffix:
		ok = strings.HasSuffix(v, m.value)
	case matchRegex:
		ok = m.re.MatchString(v)
	case matchRange:
		n, err := strconv.ParseInt(v, 10, 64)
		ok = err == nil && n >= m.start && n < m.end
	}
	return ok != m.invert
}
