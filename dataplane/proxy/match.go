package proxy

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// routeMatch is a compiled snapshotv1.RouteMatch.
type routeMatch struct {
	pathType snapshotv1.PathMatchType
	hasPath  bool
	path     string // prefix without trailing slash ("" for "/"), or the exact path
	pathRE   *regexp.Regexp
	headers  []valueMatch
	query    []valueMatch
	method   string
}

type valueMatch struct {
	name  string // canonical header name, or the query parameter name
	value string
	re    *regexp.Regexp
}

func compileMatch(m *snapshotv1.RouteMatch) (routeMatch, error) {
	out := routeMatch{method: m.GetMethod()}
	if p := m.GetPath(); p != nil {
		out.hasPath, out.pathType = true, p.GetType()
		switch p.GetType() {
		case snapshotv1.PathMatchType_PATH_PREFIX:
			if !strings.HasPrefix(p.GetValue(), "/") {
				return out, fmt.Errorf("path prefix %q does not start with /", p.GetValue())
			}
			out.path = strings.TrimRight(p.GetValue(), "/")
		case snapshotv1.PathMatchType_EXACT:
			out.path = p.GetValue()
		case snapshotv1.PathMatchType_REGULAR_EXPRESSION:
			re, err := wholeRegexp(p.GetValue())
			if err != nil {
				return out, fmt.Errorf("path: %w", err)
			}
			out.pathRE = re
		default:
			return out, fmt.Errorf("unknown path match type %d", p.GetType())
		}
	}
	var err error
	if out.headers, err = compileValues(m.GetHeaders(), true); err != nil {
		return out, fmt.Errorf("headers: %w", err)
	}
	if out.query, err = compileValues(m.GetQueryParams(), false); err != nil {
		return out, fmt.Errorf("query params: %w", err)
	}
	return out, nil
}

func compileValues(vs []*snapshotv1.ValueMatch, header bool) ([]valueMatch, error) {
	var out []valueMatch
	for _, v := range vs {
		vm := valueMatch{name: v.GetName(), value: v.GetValue()}
		if header {
			vm.name = http.CanonicalHeaderKey(vm.name)
		}
		if v.GetType() == snapshotv1.ValueMatchType_VALUE_REGULAR_EXPRESSION {
			re, err := wholeRegexp(v.GetValue())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.GetName(), err)
			}
			vm.re = re
		}
		out = append(out, vm)
	}
	return out, nil
}

// wholeRegexp compiles an RE2 expression that must match the whole input.
func wholeRegexp(expr string) (*regexp.Regexp, error) {
	// expr must parse on its own: "a)|(b" would otherwise close the anchoring group and
	// match any string that merely starts with "a".
	if _, err := regexp.Compile(expr); err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %w", expr, err)
	}
	return regexp.MustCompile(`^(?:` + expr + `)$`), nil
}

func (v *valueMatch) matches(s string) bool {
	if v.re != nil {
		return v.re.MatchString(s)
	}
	return s == v.value
}

// matches reports whether r fits; query is parsed lazily into *q, shared across routes.
func (m *routeMatch) matches(r *http.Request, q *url.Values) bool {
	if m.method != "" && r.Method != m.method {
		return false
	}
	if m.hasPath && !m.matchesPath(r.URL.Path) {
		return false
	}
	for i := range m.headers {
		h := &m.headers[i]
		vals, ok := r.Header[h.name]
		if !ok {
			return false
		}
		v := vals[0]
		if len(vals) > 1 {
			v = strings.Join(vals, ",")
		}
		if !h.matches(v) {
			return false
		}
	}
	if len(m.query) > 0 && *q == nil {
		*q = r.URL.Query()
	}
	for i := range m.query {
		vals, ok := (*q)[m.query[i].name]
		if !ok || !m.query[i].matches(vals[0]) {
			return false
		}
	}
	return true
}

func (m *routeMatch) matchesPath(p string) bool {
	switch m.pathType {
	case snapshotv1.PathMatchType_EXACT:
		return p == m.path
	case snapshotv1.PathMatchType_REGULAR_EXPRESSION:
		return m.pathRE.MatchString(p)
	default:
		return hasSegmentPrefix(p, m.path)
	}
}

// hasSegmentPrefix reports whether prefix (no trailing slash) is a whole-segment prefix of p.
func hasSegmentPrefix(p, prefix string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return len(p) == len(prefix) || p[len(prefix)] == '/'
}
