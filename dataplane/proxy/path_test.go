package proxy

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCanonicalPath: each form a backend might read differently from routing is either
// brought to the one path that is routed, authorized and forwarded, or refused.
func TestCanonicalPath(t *testing.T) {
	type want struct{ canonical, forwarded string }
	ok := func(c, f string) want { return want{c, f} }
	tests := map[string]want{
		// Already canonical: returned as received.
		"/":                    ok("/", "/"),
		"/v1/chat/completions": ok("/v1/chat/completions", "/v1/chat/completions"),
		"/openai/":             ok("/openai/", "/openai/"),
		"/a/.well-known/x":     ok("/a/.well-known/x", "/a/.well-known/x"),
		"/a/...":               ok("/a/...", "/a/..."),
		"/a/.b/..c":            ok("/a/.b/..c", "/a/.b/..c"),
		"/a:b@c=d&e+f,g$h~i":   ok("/a:b@c=d&e+f,g$h~i", "/a:b@c=d&e+f,g$h~i"),
		"":                     ok("/", "/"),
		// Dot segments, raw and encoded.
		"/public/../admin":      ok("/admin", "/admin"),
		"/public/..%2Fadmin":    ok("/admin", "/admin"),
		"/public/%2e%2e/admin":  ok("/admin", "/admin"),
		"/public/%2E./admin":    ok("/admin", "/admin"),
		"/public/.%2e/admin":    ok("/admin", "/admin"),
		"/a/./b/":               ok("/a/b/", "/a/b/"),
		"/a/%2e/b":              ok("/a/b", "/a/b"),
		"/../../etc":            ok("/etc", "/etc"),
		"/openai/..":            ok("/", "/"),
		"/a/b/..":               ok("/a/", "/a/"),
		"/a/b/.":                ok("/a/b/", "/a/b/"),
		"/..":                   ok("/", "/"),
		"/.":                    ok("/", "/"),
		"/a/%2e%2e":             ok("/", "/"),
		"/public/..%5Cadmin":    ok("/admin", "/admin"),
		"/public/..\\admin":     ok("/admin", "/admin"),
		"/a/b/../../../../c/./": ok("/c/", "/c/"),
		// Backslashes count as slashes.
		"/admin\\x":      ok("/admin/x", "/admin/x"),
		"/%5Cadmin":      ok("/admin", "/admin"),
		"/%5cadmin":      ok("/admin", "/admin"),
		"\\admin":        ok("/admin", "/admin"),
		"/a\\\\b":        ok("/a/b", "/a/b"),
		"/a%5C%5C..%5Cb": ok("/b", "/b"),
		// Escaped slashes are unescaped, then merged like any other.
		"/admin%2Fx":    ok("/admin/x", "/admin/x"),
		"/%2Fadmin":     ok("/admin", "/admin"),
		"/%2fadmin%2f":  ok("/admin/", "/admin/"),
		"//admin":       ok("/admin", "/admin"),
		"///admin//x//": ok("/admin/x/", "/admin/x/"),
		"//":            ok("/", "/"),
		"/v1//chat":     ok("/v1/chat", "/v1/chat"),
		// A ';' is part of its segment, and goes to the upstream escaped.
		"/admin;x":       ok("/admin;x", "/admin%3Bx"),
		"/admin%3Bx":     ok("/admin;x", "/admin%3Bx"),
		"/admin;/../x":   ok("/x", "/x"),
		"/a;b/c;d=e":     ok("/a;b/c;d=e", "/a%3Bb/c%3Bd=e"),
		"/admin/..;/pub": ok("/admin/..;/pub", "/admin/..%3B/pub"),
		// Other escapes decode, then re-escape only what must be.
		"/caf%C3%A9":    ok("/café", "/caf%C3%A9"),
		"/caf%c3%a9":    ok("/café", "/caf%C3%A9"),
		"/café":         ok("/café", "/caf%C3%A9"),
		"/%E2%82%AC":    ok("/€", "/%E2%82%AC"),
		"/%F0%9F%98%80": ok("/😀", "/%F0%9F%98%80"),
		"/%41%42":       ok("/AB", "/AB"),
		"/a%20b":        ok("/a b", "/a%20b"),
		"/a%25b":        ok("/a%b", "/a%25b"),
		"/a%252Fb":      ok("/a%2Fb", "/a%252Fb"),
		"/a%3Fb%23c":    ok("/a?b#c", "/a%3Fb%23c"),
		"/a!b'c(d)e*f":  ok("/a!b'c(d)e*f", "/a%21b%27c%28d%29e%2Af"),
		"/a[b]":         ok("/a[b]", "/a%5Bb%5D"),
	}
	for in, w := range tests {
		t.Run(in, func(t *testing.T) {
			c, f, err := canonicalPath(in)
			require.NoError(t, err)
			require.Equal(t, w.canonical, c, "canonical")
			require.Equal(t, w.forwarded, f, "forwarded")
			dec, err := url.PathUnescape(f)
			require.NoError(t, err)
			require.Equal(t, c, dec, "the upstream decodes the forwarded path to the canonical one")
		})
	}
}

// TestCanonicalPathRefused: NUL, control characters, invalid UTF-8 (overlong forms
// included) and malformed escapes are refused, however they are spelled.
func TestCanonicalPathRefused(t *testing.T) {
	tests := map[string]error{
		"/a%00b":               errPathControl,
		"/a\x00b":              errPathControl,
		"/a%09b":               errPathControl,
		"/a\tb":                errPathControl,
		"/a%0Ab":               errPathControl,
		"/a%0d%0aSet-Cookie:x": errPathControl,
		"/a\nb":                errPathControl,
		"/a\rb":                errPathControl,
		"/a%1Fb":               errPathControl,
		"/a%7Fb":               errPathControl,
		"/a\x7fb":              errPathControl,
		"/%C0%AE%C0%AE/admin":  errPathUTF8, // overlong "."
		"/%E0%80%AE/admin":     errPathUTF8, // overlong "." in three bytes
		"/%C0%AF":              errPathUTF8, // overlong "/"
		"/%C1%9C":              errPathUTF8, // overlong "\"
		"/%C0%80":              errPathUTF8, // overlong NUL
		"/%ED%A0%80":           errPathUTF8, // UTF-16 surrogate
		"/%FF":                 errPathUTF8,
		"/caf%C3":              errPathUTF8, // truncated sequence
		"/caf\xc3":             errPathUTF8,
		"/a%zz":                errPathEscape,
		"/a%":                  errPathEscape,
		"/a%4":                 errPathEscape,
		"/a%4g":                errPathEscape,
		"/a%u002e":             errPathEscape, // IIS-style %u escapes are not escapes
		"*":                    errPathNotAbsolute,
		"a/b":                  errPathNotAbsolute,
		"%2E%2E/admin":         errPathNotAbsolute,
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			_, _, err := canonicalPath(in)
			require.ErrorIs(t, err, want)
		})
	}
}

// TestNormalizePathSetsTheURL: the request's URL carries the canonical path, with
// RawPath set only when the forwarded form is not the default escaping; the query is
// not touched; a refused path leaves the URL as received and reports it escaped.
func TestNormalizePathSetsTheURL(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/public/..%2Fadmin;x?a=%2F..&b=;", nil)
	logged, err := normalizePath(r.URL)
	require.NoError(t, err)
	require.Equal(t, "/admin;x", logged)
	require.Equal(t, "/admin;x", r.URL.Path)
	require.Equal(t, "/admin%3Bx", r.URL.RawPath)
	require.Equal(t, "/admin%3Bx?a=%2F..&b=;", r.URL.RequestURI())

	r = httptest.NewRequest(http.MethodGet, "/v1/chat/completions?x=1", nil)
	logged, err = normalizePath(r.URL)
	require.NoError(t, err)
	require.Equal(t, "/v1/chat/completions", logged)
	require.Empty(t, r.URL.RawPath)
	require.Equal(t, "/v1/chat/completions?x=1", r.URL.RequestURI())

	r = httptest.NewRequest(http.MethodGet, "/a%00b?x=1", nil)
	logged, err = normalizePath(r.URL)
	require.ErrorIs(t, err, errPathControl)
	require.Equal(t, "/a%00b", logged)
	require.Equal(t, "/a\x00b", r.URL.Path)
}

// TestCanonicalPathDoesNotAllocate: a canonical path costs a scan and nothing else.
func TestCanonicalPathDoesNotAllocate(t *testing.T) {
	for _, p := range []string{"/v1/chat/completions", "/openai", "/", "/a/b/"} {
		allocs := testing.AllocsPerRun(100, func() {
			c, f, err := canonicalPath(p)
			if err != nil || c != p || f != p {
				t.Fatalf("%q: %q %q %v", p, c, f, err)
			}
		})
		require.Zero(t, allocs, p)
	}
	u := &url.URL{Path: "/v1/chat/completions"}
	allocs := testing.AllocsPerRun(100, func() { _, _ = normalizePath(u) })
	require.Zero(t, allocs, "normalizePath")
}

// BenchmarkCanonicalPath measures the path check on the request path: an already
// canonical path (the common case), and paths that must be decoded and rewritten.
func BenchmarkCanonicalPath(b *testing.B) {
	for _, p := range []string{"/v1/chat/completions", "/public/..%2Fadmin;x", "/caf%C3%A9/v1//chat"} {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := canonicalPath(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("normalizePath", func(b *testing.B) {
		u := &url.URL{Path: "/v1/chat/completions"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := normalizePath(u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
