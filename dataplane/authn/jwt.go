package authn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// jwt is a token's header and payload, decoded but not verified.
type jwt struct {
	raw    string
	alg    string
	kid    string
	iss    string
	hasIss bool
	aud    []string
	exp    float64
	hasExp bool
	nbf    float64
	hasNbf bool
	claims map[string]any
	// signed is the JWS signing input: the header and payload segments exactly as the
	// token spells them, with the dot between. sig is the decoded signature.
	signed string
	sig    []byte
}

// strictBase64URL decodes unpadded base64url and refuses a final character whose unused
// low bits are not zero. Its decoder still skips CR and LF; canonicalSegment refuses
// those first.
var strictBase64URL = base64.RawURLEncoding.Strict()

// parseJWT decodes a compact JWS's header, payload and signature. Its failures are
// Envoy's, in Envoy's order: malformed, bad header, bad payload, then the signature. A
// token parses only in its one canonical spelling (RFC 7515: unpadded base64url, nothing
// else in a segment), so a token string names exactly one token.
//
// Envoy's jwt_authn answers a signature segment that is not base64url with its own
// status ("Jwt signature is an invalid Base64url ..."); claimgate's failure table has no
// such row, and such a segment can only fail verification, so it is answered "Jwt
// verification fails". A header using a JWS extension (crit, or b64 other than true) is
// answered the same, once the token is otherwise well formed: claimgate understands no
// extension, so it cannot verify such a token (RFC 7515 §4.1.11).
func parseJWT(tok string) (*jwt, *Failure) {
	h, p, s, ok := splitJWS(tok)
	if !ok {
		return nil, failMalformed
	}
	t := &jwt{raw: tok, signed: tok[:len(h)+1+len(p)]}
	ext, ok := t.decodeHeader(h)
	if !ok {
		return nil, failBadHeader
	}
	if !t.decodePayload(p) {
		return nil, failBadPayload
	}
	if t.sig, ok = decodeSegment(s); !ok || ext {
		return nil, failBadSignature
	}
	return t, nil
}

// splitJWS cuts a compact JWS into its three segments; ok is false unless there are
// exactly two dots.
func splitJWS(tok string) (h, p, s string, ok bool) {
	h, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return "", "", "", false
	}
	p, s, ok = strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return "", "", "", false
	}
	return h, p, s, true
}

// canonicalJWS reports whether tok is three segments each in canonical unpadded
// base64url: the spelling of the only tokens that may ever be verified and cached. It
// runs before every cache lookup, so it reads each byte once, through a table.
func canonicalJWS(tok string) bool {
	if orValues(tok)&invalidByte != 0 {
		return false
	}
	h, p, s, ok := splitJWS(tok)
	return ok && wholeBytes(h) && wholeBytes(p) && wholeBytes(s)
}

// canonicalSegment reports whether s is the canonical unpadded base64url encoding of some
// bytes: only alphabet characters, a length that encodes whole bytes, and zero in the
// bits of the last character that encode nothing.
func canonicalSegment(s string) bool {
	return orValues(s)&(invalidByte|dotByte) == 0 && wholeBytes(s)
}

const (
	invalidByte = 0x80 // b64urlValues of a byte that never appears in a canonical JWS
	dotByte     = 0x40 // b64urlValues of '.', the separator of segments
)

// b64urlValues maps each byte of the base64url alphabet (RFC 4648 §5) to its 6-bit
// value, '.' to dotByte, and every other byte (padding, '+', '/', whitespace...) to
// 0xff.
var b64urlValues = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	t['.'] = dotByte
	return t
}()

// orValues is the bitwise OR of the b64urlValues of s's bytes, four at a time.
func orValues(s string) byte {
	var a, b, c, d byte
	for len(s) >= 4 {
		a |= b64urlValues[s[0]]
		b |= b64urlValues[s[1]]
		c |= b64urlValues[s[2]]
		d |= b64urlValues[s[3]]
		s = s[4:]
	}
	for i := range len(s) {
		a |= b64urlValues[s[i]]
	}
	return a | b | c | d
}

// wholeBytes reports whether a segment of base64url characters has a length that encodes
// whole bytes and a last character whose bits beyond them are zero, as the one canonical
// encoding has (RFC 4648 §3.5).
func wholeBytes(s string) bool {
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return b64urlValues[s[len(s)-1]]&0x0f == 0
	case 3:
		return b64urlValues[s[len(s)-1]]&0x03 == 0
	}
	return true
}

// decodeSegment decodes one segment, which must be canonical.
func decodeSegment(s string) ([]byte, bool) {
	if !canonicalSegment(s) {
		return nil, false
	}
	b, err := strictBase64URL.DecodeString(s)
	return b, err == nil
}

// decodeHeader reads the JOSE header: a JSON object whose member names are unique at
// every depth, compared exactly (case-sensitive, after unescaping), as RFC 7515 §4 allows
// a parser to require. alg must be a string; kid, when present and not null, too. ext
// reports a JWS extension claimgate cannot honour: any crit member (whatever its value),
// or b64 other than true (RFC 7797).
func (t *jwt) decodeHeader(seg string) (ext, ok bool) {
	b, ok := decodeSegment(seg)
	if !ok || !json.Valid(b) {
		return false, false
	}
	var alg, kid, b64 []byte
	ok = uniqueMembers(b, func(name, raw []byte) {
		switch string(name) {
		case "alg":
			alg = raw
		case "kid":
			kid = raw
		case "crit":
			ext = true
		case "b64":
			b64 = raw
		}
	})
	if !ok || alg == nil || !jsonString(alg, &t.alg) {
		return false, false
	}
	if kid != nil && !bytes.Equal(kid, jsonNull) && !jsonString(kid, &t.kid) {
		return false, false
	}
	return ext || b64 != nil && !bytes.Equal(b64, jsonTrue), true
}

var jsonNull, jsonTrue = []byte("null"), []byte("true")

// jsonString decodes a raw JSON value that must be a string.
func jsonString(raw []byte, dst *string) bool {
	if len(raw) < 2 || raw[0] != '"' {
		return false
	}
	if inner := raw[1 : len(raw)-1]; plainName(inner) {
		*dst = string(inner)
		return true
	}
	return json.Unmarshal(raw, dst) == nil
}

// decodePayload decodes the claims and the registered ones authn checks: iss (string),
// aud (string or list of strings), exp and nbf (numbers). Claim names must be unique at
// every depth (RFC 7519 §4 allows a parser to require it): a claim set that names sub
// twice has no one meaning, whichever copy a reader would take.
func (t *jwt) decodePayload(seg string) bool {
	b, ok := decodeSegment(seg)
	if !ok {
		return false
	}
	if json.Unmarshal(b, &t.claims) != nil || t.claims == nil || !uniqueMembers(b, nil) {
		return false
	}
	if v, ok := t.claims["iss"]; ok {
		if t.iss, ok = v.(string); !ok {
			return false
		}
		t.hasIss = true
	}
	if v, ok := t.claims["aud"]; ok && !t.setAudiences(v) {
		return false
	}
	if t.exp, t.hasExp, ok = number(t.claims, "exp"); !ok {
		return false
	}
	if t.nbf, t.hasNbf, ok = number(t.claims, "nbf"); !ok {
		return false
	}
	return true
}

func (t *jwt) setAudiences(v any) bool {
	switch a := v.(type) {
	case string:
		t.aud = []string{a}
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return false
			}
			t.aud = append(t.aud, s)
		}
	default:
		return false
	}
	return true
}

// number reads an optional numeric claim; ok is false when it is present but not a number.
func number(claims map[string]any, name string) (v float64, present, ok bool) {
	raw, present := claims[name]
	if !present {
		return 0, false, true
	}
	v, ok = raw.(float64)
	return v, true, ok
}

// uniqueMembers walks a JSON document already known to be valid and reports whether no
// object in it, at any depth, names a member twice, comparing names as a JSON decoder
// yields them (escapes resolved, invalid UTF-8 replaced). When the document is an object,
// visit (if not nil) receives each of its own members' name and raw value.
func uniqueMembers(doc []byte, visit func(name, raw []byte)) bool {
	w := memberWalk{b: doc, visit: visit}
	w.space()
	return w.value(0)
}

// memberWalk is uniqueMembers' cursor over a valid JSON document.
type memberWalk struct {
	b     []byte
	i     int
	visit func(name, raw []byte)
}

// value steps over the value at the cursor and the blanks after it.
func (w *memberWalk) value(depth int) bool {
	switch w.b[w.i] {
	case '{':
		if !w.object(depth) {
			return false
		}
	case '[':
		if !w.array(depth) {
			return false
		}
	case '"':
		w.str()
	default: // number, true, false, null: up to the next delimiter or blank
		for w.i < len(w.b) && !endsLiteral(w.b[w.i]) {
			w.i++
		}
	}
	w.space()
	return true
}

func (w *memberWalk) object(depth int) bool {
	var small [8][]byte
	seen := names{small: small[:0]}
	w.i++ // {
	w.space()
	for w.b[w.i] != '}' {
		start := w.i
		w.str()
		name := memberName(w.b[start:w.i])
		if !seen.add(name) {
			return false
		}
		w.space()
		w.i++ // :
		w.space()
		valueAt := w.i
		if !w.value(depth + 1) {
			return false
		}
		if depth == 0 && w.visit != nil {
			w.visit(name, bytes.TrimRight(w.b[valueAt:w.i], " \t\r\n"))
		}
		if w.b[w.i] == ',' {
			w.i++
			w.space()
		}
	}
	w.i++ // }
	return true
}

func (w *memberWalk) array(depth int) bool {
	w.i++ // [
	w.space()
	for w.b[w.i] != ']' {
		if !w.value(depth + 1) {
			return false
		}
		if w.b[w.i] == ',' {
			w.i++
			w.space()
		}
	}
	w.i++ // ]
	return true
}

// str steps over the string at the cursor, escapes included.
func (w *memberWalk) str() {
	w.i++ // opening quote
	for w.b[w.i] != '"' {
		if w.b[w.i] == '\\' {
			w.i++
		}
		w.i++
	}
	w.i++ // closing quote
}

func (w *memberWalk) space() {
	for w.i < len(w.b) && isBlank(w.b[w.i]) {
		w.i++
	}
}

// isBlank reports JSON's insignificant whitespace (RFC 8259 §2).
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func endsLiteral(c byte) bool { return c == ',' || c == ']' || c == '}' || isBlank(c) }

// memberName is the name a JSON decoder reads from a quoted member name.
func memberName(quoted []byte) []byte {
	if inner := quoted[1 : len(quoted)-1]; plainName(inner) {
		return inner
	}
	var s string
	_ = json.Unmarshal(quoted, &s) // valid: the document is
	return []byte(s)
}

// plainName reports whether a string's bytes between the quotes are its value: printable
// ASCII without escapes.
func plainName(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// names is the set of member names of one object. Most objects are small: their names
// are compared in a slice; a large object's go to a map, so a crafted token with many
// members costs linear time.
type names struct {
	small [][]byte
	big   map[string]struct{}
}

const smallObject = 16

// add records name; it is false when the object named it before.
func (n *names) add(name []byte) bool {
	if n.big == nil {
		for _, s := range n.small {
			if bytes.Equal(s, name) {
				return false
			}
		}
		if len(n.small) < smallObject {
			n.small = append(n.small, name)
			return true
		}
		n.big = make(map[string]struct{}, 2*smallObject)
		for _, s := range n.small {
			n.big[string(s)] = struct{}{}
		}
	}
	if _, dup := n.big[string(name)]; dup {
		return false
	}
	n.big[string(name)] = struct{}{}
	return true
}
