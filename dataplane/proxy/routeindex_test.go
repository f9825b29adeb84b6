package proxy

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// randomRoutes are n routes of every kind of path match, some with a method or header
// condition, over a small set of path segments so that paths collide often.
func randomRoutes(t testing.TB, rng *rand.Rand, n int) []*route {
	t.Helper()
	segs := []string{"a", "b", "v1", "openai", "x-y"}
	path := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString("/" + segs[rng.IntN(len(segs))])
		}
		if b.Len() == 0 || rng.IntN(5) == 0 {
			b.WriteString("/")
		}
		return b.String()
	}
	routes := make([]*route, n)
	for i := range routes {
		m := &snapshotv1.RouteMatch{}
		switch rng.IntN(5) {
		case 0, 1:
			m.Path = &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_PATH_PREFIX, Value: path()}
		case 2:
			m.Path = &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_EXACT, Value: path()}
		case 3:
			m.Path = &snapshotv1.PathMatch{Type: snapshotv1.PathMatchType_REGULAR_EXPRESSION, Value: "/" + segs[rng.IntN(len(segs))] + "(/.*)?"}
		}
		if rng.IntN(4) == 0 {
			m.Method = http.MethodPost
		}
		if rng.IntN(4) == 0 {
			m.Headers = []*snapshotv1.ValueMatch{{Name: "x-beta", Value: "1"}}
		}
		rm, err := compileMatch(m)
		require.NoError(t, err)
		routes[i] = &route{name: fmt.Sprint(i), match: rm}
	}
	return routes
}

// TestRouteIndexKeepsPrecedence: for any routes and request, the indexed lookup finds
// the route trying each in order finds.
func TestRouteIndexKeepsPrecedence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	segs := []string{"a", "b", "v1", "openai", "x-y", "A", ""}
	for round := range 50 {
		routes := randomRoutes(t, rng, indexedRoutes+rng.IntN(200))
		vh := &vhost{routes: routes, index: newRouteIndex(routes)}
		for range 200 {
			var b strings.Builder
			for range rng.IntN(6) {
				b.WriteString("/" + segs[rng.IntN(len(segs))])
			}
			p := b.String()
			if p == "" {
				p = "/"
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL.Path = p
			if rng.IntN(2) == 0 {
				r.Method = http.MethodPost
			}
			if rng.IntN(2) == 0 {
				r.Header.Set("X-Beta", "1")
			}
			var q url.Values
			require.Equal(t, firstMatch(routes, r, &q), vh.match(r), "round %d, %s %s", round, r.Method, p)
		}
	}
}

// TestRouteIndexDeepPaths: a path with more segments than one lookup merges is served
// by trying each route in order.
func TestRouteIndexDeepPaths(t *testing.T) {
	routes := randomRoutes(t, rand.New(rand.NewPCG(3, 4)), 64)
	rm, err := compileMatch(&snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Value: "/a"}})
	require.NoError(t, err)
	routes = append(routes, &route{name: "deep", match: rm})
	vh := &vhost{routes: routes, index: newRouteIndex(routes)}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.URL.Path = "/a" + strings.Repeat("/s", 2*maxIndexedLists)
	var q url.Values
	want := firstMatch(routes, r, &q)
	require.NotNil(t, want)
	require.Equal(t, want, vh.match(r))
}

// BenchmarkRouteLookup finds one of n prefix routes (as the control-plane benchmark
// writes them), indexed and by trying each in order.
func BenchmarkRouteLookup(b *testing.B) {
	for _, n := range []int{100, 10000} {
		routes := make([]*route, n)
		for i := range routes {
			rm, err := compileMatch(&snapshotv1.RouteMatch{Path: &snapshotv1.PathMatch{Value: fmt.Sprintf("/bench/%d", i)}})
			require.NoError(b, err)
			routes[i] = &route{match: rm}
		}
		r := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/bench/%d", n*3/4), nil)
		for name, vh := range map[string]*vhost{"indexed": {routes: routes, index: newRouteIndex(routes)}, "in-order": {routes: routes}} {
			b.Run(fmt.Sprintf("routes=%d/%s", n, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if vh.match(r) == nil {
						b.Fatal("no route")
					}
				}
			})
		}
	}
}
