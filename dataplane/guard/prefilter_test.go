package guard

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// TestPrefilterFacts: what the prefilter learns of each built-in and of lab 9's
// patterns, and the texts it rules out.
func TestPrefilterFacts(t *testing.T) {
	for name, tc := range map[string]struct {
		pre  prefilter
		want prefilter
	}{
		"ssn":               {builtins[snapshotv1.AiRegexGuard_SSN].pre, prefilter{minDigits: 9}},
		"credit card":       {builtins[snapshotv1.AiRegexGuard_CREDIT_CARD].pre, prefilter{minDigits: 13}},
		"phone":             {builtins[snapshotv1.AiRegexGuard_PHONE_NUMBER].pre, prefilter{minDigits: 5}},
		"email":             {builtins[snapshotv1.AiRegexGuard_EMAIL].pre, prefilter{literal: "@"}},
		"lab 9 request":     {newPrefilter("(?ims)credit card"), prefilter{literal: "credit card", fold: true}},
		"lab 9 response":    {newPrefilter("(?ims)" + labCardPattern), prefilter{minDigits: 16}},
		"case-sensitive":    {newPrefilter(`secret-\d+`), prefilter{minDigits: 1, literal: "secret-"}},
		"alternation":       {newPrefilter(`(?i)foo|barbaz`), prefilter{}},
		"longest run":       {newPrefilter(`ab\d{2}\bcdef`), prefilter{minDigits: 2, literal: "cdef"}},
		"not ascii literal": {newPrefilter(`crédit`), prefilter{}},
	} {
		t.Run(name, func(t *testing.T) { require.Equal(t, tc.want, tc.pre) })
	}
	lab := newPrefilter("(?ims)credit card")
	require.True(t, lab.rulesOut(newTextFacts("my card, 4111 1111 1111 1111")))
	require.False(t, lab.rulesOut(newTextFacts("my CREDIT card")))
	kelvin := newPrefilter("(?i)kelvin")
	require.False(t, kelvin.rulesOut(newTextFacts("\u212Aelvin")), "the Kelvin sign folds to k")
	require.True(t, regexp.MustCompile("(?i)kelvin").MatchString("\u212Aelvin"))
}

// FuzzPrefilterSound: a prefilter never rules out a text its expression matches.
func FuzzPrefilterSound(f *testing.F) {
	for _, s := range [][2]string{
		{"(?ims)credit card", "CREDIT\u017fCARD"},
		{"(?i)ſ", "S"},
		{`\d{3}-\d{2}`, "123-45"},
		{"(?i)K", "\u212A"},
		{`(a|b)c\d`, "bc1"},
		{`x{2,}y?z`, "xxz"},
		{labCardPattern, "1234 5678 9012 3456"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		if re.MatchString(text) && newPrefilter(pattern).rulesOut(newTextFacts(text)) {
			t.Fatalf("%q matches %q, but its prefilter %+v rules it out", pattern, text, newPrefilter(pattern))
		}
	})
}

// FuzzIndexFoldASCII: the case-folded search finds what a search of the lower-cased
// text finds.
func FuzzIndexFoldASCII(f *testing.F) {
	for _, s := range [][2]string{{"My CREDIT Card", "credit card"}, {"CcCcredit", "credit"}, {"abc", "abcd"}, {"x[Y", "[y"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, lit string) {
		lit = strings.ToLower(lit)
		if lit == "" || !isASCII(s) || !isASCII(lit) {
			return
		}
		if got, want := indexFoldASCII(s, lit), strings.Index(strings.ToLower(s), lit); got != want {
			t.Fatalf("indexFoldASCII(%q, %q) = %d, want %d", s, lit, got, want)
		}
	})
}

// FuzzTextFacts: the word-at-a-time count agrees with a byte-by-byte one.
func FuzzTextFacts(f *testing.F) {
	for _, s := range []string{"", "abc 1234 5678", "0123456789:/", "ünïcode 9", strings.Repeat("x", 17) + "9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := textFacts{text: s}
		want.count(s)
		got := newTextFacts(s)
		if got.digits != want.digits || got.nonASCII != want.nonASCII {
			t.Fatalf("%q: %d digits, non-ASCII %t; want %d, %t", s, got.digits, got.nonASCII, want.digits, want.nonASCII)
		}
	})
}
