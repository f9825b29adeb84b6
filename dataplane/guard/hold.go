package guard

import (
	"strings"
	"unicode/utf8"
)

// MaxHeld bounds the text of a streamed answer held back for one choice while the
// proxy waits for a boundary: past it the held text is masked and sent as it is.
const MaxHeld = 1 << 10

// Holder holds the text of one choice of a streamed answer until a boundary, so that
// the response guards see a pattern split across events whole. A boundary is a
// newline, or a sentence end (., ! or ? followed by white space): guarded patterns
// (card numbers, addresses, names) do not span them. Text without a boundary is held
// up to MaxHeld bytes, then released whole; a pattern split across that cut may then
// go unmasked. A Holder is not safe for concurrent use.
type Holder struct {
	held strings.Builder
}

// Add takes the next text of the choice and returns the stretch now ready to be masked
// and sent: the held text up to its last boundary, or all of it when it exceeds
// MaxHeld; "" when everything stays held.
func (h *Holder) Add(text string) string {
	h.held.WriteString(text)
	s := h.held.String()
	cut := lastBoundary(s)
	if cut == 0 && len(s) > MaxHeld {
		cut = len(s)
		if !utf8.FullRuneInString(s[lastRuneStart(s):]) {
			cut = lastRuneStart(s) // never split a rune still being completed
		}
	}
	if cut == 0 {
		return ""
	}
	ready, rest := s[:cut], s[cut:]
	h.held.Reset()
	h.held.WriteString(rest)
	return ready
}

// Flush returns the held text and holds nothing.
func (h *Holder) Flush() string {
	s := h.held.String()
	h.held.Reset()
	return s
}

// Held is the number of bytes held.
func (h *Holder) Held() int { return h.held.Len() }

// lastBoundary is the position just after the last boundary in s, or 0.
func lastBoundary(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case '\n':
			return i + 1
		case ' ', '\t', '\r':
			if i > 0 && (s[i-1] == '.' || s[i-1] == '!' || s[i-1] == '?') {
				return i + 1
			}
		}
	}
	return 0
}

// lastRuneStart is the position of the first byte of the last rune of s.
func lastRuneStart(s string) int {
	i := len(s) - 1
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return max(i, 0)
}
