package proxy

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// Reasons a request path is refused, answered with 400 and the error's text.
var (
	errPathNotAbsolute = errors.New("request path does not start with /")
	errPathEscape      = errors.New("request path has a malformed percent escape")
	errPathControl     = errors.New("request path contains a NUL or control character")
	errPathUTF8        = errors.New("request path is not valid UTF-8")
)

// canonicalPath gives the one path a request is routed, authorized and forwarded with.
// escaped is the path as received, still percent-encoded (URL.EscapedPath); canonical is
// the decoded form that route matching and RBAC see, and forwarded is canonical
// percent-encoded as it goes to the upstream, which decodes it back to canonical.
//
// The rules, applied to the decoded path:
//   - a malformed escape ("%zz", "%4"), NUL, a control character (0x00–0x1F, 0x7F) or
//     invalid UTF-8 (which includes overlong forms such as %C0%AE) is refused, raw or
//     encoded alike;
//   - escaped slashes are unescaped: %2F is a '/', as with Envoy's
//     UNESCAPE_AND_FORWARD, and so are a backslash and %5C, so no upstream can split
//     segments that routing saw whole;
//   - runs of '/' are merged;
//   - "." and ".." segments (%2E too) are resolved; ".." never climbs above the root; a
//     path ending in '/', ".", or ".." keeps (or gains) a trailing slash, as in
//     RFC 3986 section 5.2.4;
//   - "" is "/", and any other path must start with '/'.
//
// forwarded escapes what URL.EscapedPath escapes, plus ';' as %3B: a ';' is an ordinary
// character of the segment routing matched ("/admin;x" is not "/admin"), and an
// upstream that reads ';' as the start of path parameters would otherwise see a
// different path ("/admin") than the one matched and authorized.
//
// A path that is already canonical and needs no escaping is returned unchanged, without
// allocating.
func canonicalPath(escaped string) (canonical, forwarded string, err error) {
	if isCanonicalPlain(escaped) {
		return escaped, escaped, nil
	}
	if escaped == "" {
		return "/", "/", nil
	}
	dec, err := decodePath(escaped)
	if err != nil {
		return "", "", err
	}
	if dec[0] != '/' {
		return "", "", errPathNotAbsolute
	}
	canonical = string(resolveSegments(dec))
	return canonical, escapeForwarded(canonical, escaped), nil
}

// isCanonicalPlain reports whether p starts with '/', holds only bytes forwarded as
// they are (pathPlain), and has no empty, "." or ".." segment except a final empty
// one (the trailing slash): such a path is its own canonical and forwarded form.
func isCanonicalPlain(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	seg := 1 // start of the current segment
	for i := 1; i < len(p); i++ {
		c := p[i]
		if !plainBytes[c] {
			return false
		}
		if c == '/' {
			if dotOrEmpty(p[seg:i]) {
				return false
			}
			seg = i + 1
		}
	}
	last := p[seg:]
	return last == "" || !dotOrEmpty(last)
}

// dotOrEmpty reports whether seg is a segment the canonical form drops: "", "." or "..".
func dotOrEmpty(seg string) bool {
	return seg == "" || seg == "." || seg == ".."
}

// pathPlain reports whether c goes to the upstream as it is: the bytes URL.EscapedPath
// leaves unescaped in a path, except ';'.
func pathPlain(c byte) bool { return plainBytes[c] }

// plainBytes is pathPlain as a table, for the scan every request's path goes through.
var plainBytes = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-_.~$&+,/:=@" {
		t[c] = true
	}
	return t
}()

// decodePath percent-decodes escaped into a new buffer, turning backslashes (raw or
// %5C) into '/', and refuses malformed escapes, control characters and invalid UTF-8.
func decodePath(escaped string) ([]byte, error) {
	out := make([]byte, 0, len(escaped))
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c == '%' {
			if i+2 >= len(escaped) || !isHex(escaped[i+1]) || !isHex(escaped[i+2]) {
				return nil, errPathEscape
			}
			c = unhex(escaped[i+1])<<4 | unhex(escaped[i+2])
			i += 2
		}
		switch {
		case c < 0x20 || c == 0x7f:
			return nil, errPathControl
		case c == '\\':
			c = '/'
		}
		out = append(out, c)
	}
	if !utf8.Valid(out) {
		return nil, errPathUTF8
	}
	return out, nil
}

// resolveSegments merges runs of '/' and resolves "." and ".." segments of p, which
// starts with '/', in place, and returns the result: "/" or "/seg(/seg)*" with an
// optional trailing '/'.
func resolveSegments(p []byte) []byte {
	out := p[:0] // never longer than what has been read, so writing in place is safe
	trailing := false
	for i := 0; i < len(p); {
		j := i + 1
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i+1 : j]
		switch {
		case len(seg) == 0, len(seg) == 1 && seg[0] == '.':
			trailing = true
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			if k := bytes.LastIndexByte(out, '/'); k >= 0 {
				out = out[:k]
			}
			trailing = true
		default:
			out = append(out, '/')
			out = append(out, seg...)
			trailing = false
		}
		i = j
	}
	if trailing || len(out) == 0 {
		out = append(out, '/')
	}
	return out
}

// escapeForwarded percent-encodes canonical as it is forwarded: every byte that is not
// pathPlain becomes %XX. It returns received itself when that is already the result.
func escapeForwarded(canonical, received string) string {
	n := 0
	for i := 0; i < len(canonical); i++ {
		if !pathPlain(canonical[i]) {
			n++
		}
	}
	if n == 0 {
		return canonical
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(canonical)+2*n)
	for i := 0; i < len(canonical); i++ {
		c := canonical[i]
		if pathPlain(c) {
			out = append(out, c)
			continue
		}
		out = append(out, '%', hex[c>>4], hex[c&0xf])
	}
	if string(out) == received {
		return received
	}
	return string(out)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
