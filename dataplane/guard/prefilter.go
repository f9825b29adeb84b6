package guard

import (
	"encoding/binary"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A prefilter tells, from facts about a text that cost one pass over it, that a
// detector cannot match the text, so that its regular expression need not run: Go's
// regexp scans a few kilobytes with a pattern like a card number's in hundreds of
// microseconds, and most prompts and answers hold nothing a guard looks for. A
// prefilter never rules out a text the expression could match.
//
// Two facts are derived from each expression when it is compiled:
//   - the fewest ASCII digits any match holds (a card number at least 13, an SSN 9);
//   - the longest literal every match contains ("credit card"), compared with case
//     folded when the expression folds case.
type prefilter struct {
	minDigits int
	literal   string // "" when no literal is required
	fold      bool   // literal is lower case and compared with the text folded
}

// newPrefilter analyses pattern, written for Go's regexp (flags included).
func newPrefilter(pattern string) prefilter {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return prefilter{} // rules nothing out; the compile that follows reports it
	}
	re = re.Simplify()
	p := prefilter{minDigits: minDigits(re)}
	lit, fold := requiredLiteral(re)
	if lit != "" && isASCII(lit) {
		p.literal, p.fold = lit, fold
		if fold {
			p.literal = strings.ToLower(lit)
		}
	}
	return p
}

// rulesOut reports whether no match of the detector can be in the text f describes.
func (p prefilter) rulesOut(f *textFacts) bool {
	if f.digits < p.minDigits {
		return true
	}
	switch {
	case p.literal == "":
		return false
	case !p.fold:
		return !strings.Contains(f.text, p.literal)
	case f.nonASCII && strings.ContainsAny(p.literal, "ks"):
		// k and s have folds outside ASCII (the Kelvin sign, the long s).
		return !strings.Contains(f.folded(), p.literal)
	}
	return indexFoldASCII(f.text, p.literal) < 0
}

// indexFoldASCII is the first index of lit (lower-case ASCII) in s with ASCII letters'
// case folded, or -1. It finds the candidates for lit's first byte, in either case,
// with IndexByte, each occurrence looked for once.
func indexFoldASCII(s, lit string) int {
	c := lit[0]
	other := c
	if 'a' <= c && c <= 'z' {
		other = c - ('a' - 'A')
	}
	nextC, nextO := -1, -1 // the next occurrences at or after off, once found
	for off := 0; off+len(lit) <= len(s); {
		if nextC < off {
			nextC = indexFrom(s, c, off)
		}
		if nextO < off {
			nextO = indexFrom(s, other, off)
		}
		i := min(nextC, nextO)
		if i+len(lit) > len(s) {
			return -1
		}
		if equalFoldASCII(s[i:i+len(lit)], lit) {
			return i
		}
		off = i + 1
	}
	return -1
}

// indexFrom is the index of c in s at or after off, or len(s) when there is none.
func indexFrom(s string, c byte, off int) int {
	if i := strings.IndexByte(s[off:], c); i >= 0 {
		return off + i
	}
	return len(s)
}

// equalFoldASCII reports whether a equals lit (lower-case ASCII, as long) with ASCII
// letters' case folded.
func equalFoldASCII(a, lit string) bool {
	for i := range len(lit) {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[i] {
			return false
		}
	}
	return true
}

// minDigits is the fewest ASCII digits a match of re holds.
func minDigits(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		if digitsOnly(re.Rune) {
			return 1
		}
	case syntax.OpCapture, syntax.OpPlus:
		return minDigits(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minDigits(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minDigits(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if m := minDigits(s); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

// digitsOnly reports whether a character class (pairs of rune ranges) holds only
// ASCII digits.
func digitsOnly(ranges []rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] < '0' || ranges[i+1] > '9' {
			return false
		}
	}
	return len(ranges) > 0
}

// requiredLiteral is the longest literal every match of re contains, and whether
// it is matched with case folded.
func requiredLiteral(re *syntax.Regexp) (string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune), re.Flags&syntax.FoldCase != 0
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		return longestRun(re.Sub)
	}
	return "", false
}

// longestRun is the longest literal among the subexpressions of a concatenation:
// adjacent literals join (folded if any of them is), and a subexpression's own
// required literal counts too.
func longestRun(subs []*syntax.Regexp) (string, bool) {
	var best, run strings.Builder
	bestFold, runFold := false, false
	keep := func(s string, fold bool) {
		if len(s) > best.Len() {
			best.Reset()
			best.WriteString(s)
			bestFold = fold
		}
	}
	for _, s := range subs {
		if s.Op == syntax.OpLiteral {
			run.WriteString(string(s.Rune))
			runFold = runFold || s.Flags&syntax.FoldCase != 0
			continue
		}
		if s.Op == syntax.OpEmptyMatch || s.Op == syntax.OpWordBoundary || s.Op == syntax.OpBeginLine ||
			s.Op == syntax.OpEndLine || s.Op == syntax.OpBeginText || s.Op == syntax.OpEndText {
			keep(run.String(), runFold) // a zero-width assertion ends the run
		} else {
			keep(run.String(), runFold)
			keep(requiredLiteral(s))
		}
		run.Reset()
		runFold = false
	}
	keep(run.String(), runFold)
	return best.String(), bestFold
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// textFacts are what prefilters know of a text: its ASCII digits, counted at once,
// and its case-folded form, made when first asked for.
type textFacts struct {
	text     string
	digits   int
	nonASCII bool
	fold     string
	haveFold bool
}

func newTextFacts(s string) *textFacts {
	f := &textFacts{text: s}
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if w := binary.LittleEndian.Uint64([]byte(s[i : i+8])); w&highBits == 0 && !hasDigit(w) {
			continue // eight ASCII bytes without a digit: the common case of prose
		}
		f.count(s[i : i+8])
	}
	f.count(s[i:])
	return f
}

func (f *textFacts) count(s string) {
	for i := range len(s) {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			f.digits++
		case c >= utf8.RuneSelf:
			f.nonASCII = true
		}
	}
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// hasDigit reports whether one of the eight ASCII bytes of w is a digit: a byte of w
// plus (0x80-'0') has its high bit set from '0' up, one plus (0x80-'9'-1) from past
// '9'.
func hasDigit(w uint64) bool {
	fromZero := w + lowBits*(0x80-'0')
	pastNine := w + lowBits*(0x80-'9'-1)
	return fromZero&^pastNine&highBits != 0
}

// folded is the text with ASCII letters in lower case, and the other letters that
// fold to an ASCII one (the Kelvin sign, the long s) written as that letter, so that a
// folded ASCII literal is found in it wherever the expression would match it.
func (f *textFacts) folded() string {
	if f.haveFold {
		return f.fold
	}
	f.haveFold = true
	b := make([]byte, 0, len(f.text))
	for i := 0; i < len(f.text); {
		c := f.text[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(f.text[i:])
		if a, ok := asciiFold[r]; ok {
			b = append(b, a)
		} else {
			b = append(b, f.text[i:i+n]...)
		}
		i += n
	}
	f.fold = string(b)
	return f.fold
}

// asciiFold maps each letter outside ASCII that folds to an ASCII letter to that
// letter, in lower case.
var asciiFold = func() map[rune]byte {
	m := map[rune]byte{}
	for c := 'a'; c <= 'z'; c++ {
		for r := unicode.SimpleFold(c); r != c; r = unicode.SimpleFold(r) {
			if r >= utf8.RuneSelf {
				m[r] = byte(c)
			}
		}
	}
	return m
}()
