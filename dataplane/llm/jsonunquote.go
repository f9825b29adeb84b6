package llm

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// unquoteJSON decodes the bytes of a valid JSON string between its quotes as
// encoding/json decodes them: escapes, \uXXXX with surrogate pairs, a lone surrogate
// and each byte of invalid UTF-8 become U+FFFD.
func unquoteJSON(raw []byte) string {
	b := make([]byte, 0, len(raw)+utf8.UTFMax)
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			var n int
			b, n = appendEscape(b, raw[i:])
			i += n
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, unicode.ReplacementChar)
			} else {
				b = append(b, raw[i:i+size]...)
			}
			i += size
		}
	}
	return string(b)
}

// appendEscape appends the text of the valid escape sequence s starts with (and of
// the low surrogate's escape after a high one) and returns how many bytes it took.
func appendEscape(b, s []byte) ([]byte, int) {
	switch s[1] {
	case 'b':
		return append(b, '\b'), 2
	case 'f':
		return append(b, '\f'), 2
	case 'n':
		return append(b, '\n'), 2
	case 'r':
		return append(b, '\r'), 2
	case 't':
		return append(b, '\t'), 2
	case 'u':
	default: // " \ /
		return append(b, s[1]), 2
	}
	r := hex4(s[2:6])
	if utf16.IsSurrogate(r) {
		if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' && escapeLen(s[6:]) == 6 {
			if dec := utf16.DecodeRune(r, hex4(s[8:12])); dec != unicode.ReplacementChar {
				return utf8.AppendRune(b, dec), 12
			}
		}
		r = unicode.ReplacementChar
	}
	return utf8.AppendRune(b, r), 6
}

// hex4 is the value of four hexadecimal digits.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		r = r<<4 | hexValue(c)
	}
	return r
}
