package llm

import (
	"encoding/binary"
	"unicode/utf8"
)

// The scalars of a JSON text, scanned by jsonParser: literals, numbers and strings
// with their escapes, exactly as RFC 8259 and encoding/json have them.

// literal parses true, false or null.
func (p *jsonParser) literal() bool {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(p.src)-p.pos >= len(lit) && string(p.src[p.pos:p.pos+len(lit)]) == lit {
			p.pos += len(lit)
			return true
		}
	}
	return false
}

// number parses a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() bool {
	s, i := p.src, p.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if j := digits(s, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	p.pos = i
	return true
}

// digits is the position after the decimal digits of s from i.
func digits(s []byte, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// stringSpecial marks the bytes a string's scan stops at: the quote, the backslash,
// control characters (invalid) and the bytes of multi-byte UTF-8 sequences.
var stringSpecial = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf
	}
	return t
}()

// plainRun is the position of the first byte of s from i that stringSpecial marks,
// or len(s). It tests eight bytes at a time while none is marked.
func plainRun(s []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		q, b := x^(ones*'"'), x^(ones*'\\')
		// Without a byte >= 0x80, each term is exact: a byte < 0x20, a quote, a
		// backslash.
		if (x|(x-ones*0x20)&^x|(q-ones)&^q|(b-ones)&^b)&highs != 0 {
			break
		}
	}
	for i < len(s) && !stringSpecial[s[i]] {
		i++
	}
	return i
}

// string parses a string and reports whether its bytes are its text (no escape,
// valid UTF-8). Invalid UTF-8 is accepted, as encoding/json accepts it.
func (p *jsonParser) string() (plain, ok bool) {
	s, i := p.src, p.pos+1
	escaped, high := false, false
	for {
		if i = plainRun(s, i); i >= len(s) {
			return false, false
		}
		switch c := s[i]; {
		case c == '"':
			plain = !escaped && (!high || utf8.Valid(s[p.pos+1:i]))
			p.pos = i + 1
			return plain, true
		case c == '\\':
			n := escapeLen(s[i:])
			if n == 0 {
				return false, false
			}
			escaped, i = true, i+n
		case c < 0x20:
			return false, false
		default:
			high, i = true, i+1
		}
	}
}

// escapeLen is the length of the valid escape sequence s starts with, or 0.
func escapeLen(s []byte) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(s) < 6 {
			return 0
		}
		for _, c := range s[2:6] {
			if hexValue(c) < 0 {
				return 0
			}
		}
		return 6
	}
	return 0
}

// hexValue is the value of the hexadecimal digit c, or -1.
func hexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}
