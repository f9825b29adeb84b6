package proxy

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCanonicalPath: any path is either refused or brought to a canonical form that is
// its own canonical form, that the forwarded form decodes to, and in which no upstream
// can find a segment that routing did not see.
func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{
		"/v1/chat/completions", "/public/..%2Fadmin", "/public/%2e%2e/admin", "/admin\\x",
		"/%5Cadmin", "//admin", "/admin;x", "/a%00b", "/%C0%AE%C0%AE/admin", "/a%zz",
		"/a\tb", "/caf%C3%A9", "/a/b/..", "/admin/..;/x", "/a%252Fb", "", "*", "/%2e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, fwd, err := canonicalPath(in)
		if err != nil {
			return
		}
		checkCanonical(t, in, c)
		c2, fwd2, err := canonicalPath(fwd)
		if err != nil || c2 != c || fwd2 != fwd {
			t.Fatalf("%q: forwarded %q canonicalizes to %q %q %v, not itself", in, fwd, c2, fwd2, err)
		}
		if dec, err := url.PathUnescape(fwd); err != nil || dec != c {
			t.Fatalf("%q: forwarded %q decodes to %q %v, not %q", in, fwd, dec, err, c)
		}
		if want := strings.ReplaceAll((&url.URL{Path: c}).EscapedPath(), ";", "%3B"); fwd != want {
			t.Fatalf("%q: forwarded %q, URL.EscapedPath with ';' escaped gives %q", in, fwd, want)
		}
	})
}

// checkCanonical fails t unless c is a path every upstream reads as routing did.
func checkCanonical(t *testing.T, in, c string) {
	t.Helper()
	switch {
	case !strings.HasPrefix(c, "/"):
		t.Fatalf("%q: canonical %q does not start with /", in, c)
	case strings.Contains(c, "//"):
		t.Fatalf("%q: canonical %q has an empty segment", in, c)
	case strings.ContainsRune(c, '\\'):
		t.Fatalf("%q: canonical %q has a backslash", in, c)
	case !utf8.ValidString(c):
		t.Fatalf("%q: canonical %q is not valid UTF-8", in, c)
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 0x20 || c[i] == 0x7f {
			t.Fatalf("%q: canonical %q has control byte %#x", in, c, c[i])
		}
	}
	for _, seg := range strings.Split(c, "/") {
		if seg == "." || seg == ".." {
			t.Fatalf("%q: canonical %q has a dot segment", in, c)
		}
	}
}
