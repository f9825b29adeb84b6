package guard

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// Regex is Gloo's regex prompt guard (promptGuard.request.regex and
// promptGuard.response.regex): patterns and built-in detectors matched against the
// text of each message. On a prompt it rejects (REJECT) or masks (MASK, the default);
// on an answer it always masks.
//
// Masks are what Gloo's guard writes (its detectors are Presidio's, whose replace
// operator writes the entity type in angle brackets): "<CUSTOM>" for a pattern of
// matches, and for the built-ins "<US_SSN>", "<CREDIT_CARD>", "<PHONE_NUMBER>" and
// "<EMAIL_ADDRESS>". Patterns are matched as Gloo matches them: case-insensitively,
// with . matching newlines and ^ and $ at line ends.
//
// A Regex is compiled once per snapshot and safe for concurrent use.
type Regex struct {
	detectors []detector
	reject    bool
}

// detector is one pattern or built-in: what it matches, an optional check of each
// match (a checksum), the mask that replaces it, and the prefilter that spares most
// texts the expression (prefilter.go).
type detector struct {
	re    *regexp.Regexp
	valid func(string) bool
	mask  string
	pre   prefilter
}

// newDetector compiles pattern into a detector.
func newDetector(pattern string, valid func(string) bool, mask string) (detector, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return detector{}, err
	}
	return detector{re: re, valid: valid, mask: mask, pre: newPrefilter(pattern)}, nil
}

// CustomMask replaces what a pattern of matches found.
const CustomMask = "<CUSTOM>"

// NameRegex names the regex guard in verdicts, the access log and metrics.
const NameRegex = "regex"

// CompileRegex compiles a snapshot's regex guard; nil when g is nil or matches
// nothing. Patterns were checked by the controller; an error here names the pattern.
func CompileRegex(g *snapshotv1.AiRegexGuard) (*Regex, error) {
	if g == nil || len(g.GetMatches())+len(g.GetBuiltins()) == 0 {
		return nil, nil
	}
	r := &Regex{reject: g.GetAction() == snapshotv1.AiRegexGuard_REJECT}
	for i, m := range g.GetMatches() {
		d, err := newDetector("(?ims)"+m.GetPattern(), nil, CustomMask)
		if err != nil {
			return nil, fmt.Errorf("regex matches[%d] (%s): %w", i, m.GetName(), err)
		}
		r.detectors = append(r.detectors, d)
	}
	for i, b := range g.GetBuiltins() {
		d, ok := builtins[b]
		if !ok {
			return nil, fmt.Errorf("regex builtins[%d]: unknown built-in %d", i, b)
		}
		r.detectors = append(r.detectors, d)
	}
	return r, nil
}

// Rejects reports whether a match in a prompt rejects it (REJECT) rather than masks it.
func (r *Regex) Rejects() bool { return r.reject }

// Matches reports whether any detector finds something in s.
func (r *Regex) Matches(s string) bool {
	f := newTextFacts(s)
	for _, d := range r.detectors {
		if d.find(f, func(int, int) bool { return true }) {
			return true
		}
	}
	return false
}

// Mask returns s with every match replaced by its detector's mask, detectors in order
// (what one masked, the next sees masked), and whether it changed.
func (r *Regex) Mask(s string) (string, bool) {
	changed := false
	f := newTextFacts(s)
	for _, d := range r.detectors {
		var b strings.Builder
		last := 0
		d.find(f, func(start, end int) bool {
			b.WriteString(s[last:start])
			b.WriteString(d.mask)
			last = end
			return false
		})
		if last > 0 {
			b.WriteString(s[last:])
			s, changed = b.String(), true
			f = newTextFacts(s)
		}
	}
	return s, changed
}

// find calls found with each valid match of d in the text f describes, in order,
// until it returns true; it reports whether found did.
func (d detector) find(f *textFacts, found func(start, end int) bool) bool {
	s := f.text
	if d.pre.rulesOut(f) || !d.re.MatchString(s) {
		return false // the common case: no allocation
	}
	for _, loc := range d.re.FindAllStringIndex(s, -1) {
		if loc[1] == loc[0] || d.valid != nil && !d.valid(s[loc[0]:loc[1]]) {
			continue // an empty match masks nothing
		}
		if found(loc[0], loc[1]) {
			return true
		}
	}
	return false
}

// CheckRequest rejects a prompt any of whose messages matches (REJECT), or masks the
// matches in each message (MASK). A rejection carries no status: the route's
// customResponse answers.
func (r *Regex) CheckRequest(_ context.Context, msgs []Message, _ http.Header) (Verdict, error) {
	if r.reject {
		for _, m := range msgs {
			if r.Matches(m.Content) {
				return Verdict{Action: Reject, Guard: NameRegex}, nil
			}
		}
		return Verdict{Action: Pass, Guard: NameRegex}, nil
	}
	var out []Message
	for i, m := range msgs {
		masked, changed := r.Mask(m.Content)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]Message(nil), msgs...)
		}
		out[i].Content = masked
	}
	if out == nil {
		return Verdict{Action: Pass, Guard: NameRegex}, nil
	}
	return Verdict{Action: Mask, Messages: out, Guard: NameRegex}, nil
}

// MaskResponse masks the matches in each choice.
func (r *Regex) MaskResponse(_ context.Context, choices []Choice, _ http.Header) ([]Choice, bool, error) {
	var out []Choice
	for i, c := range choices {
		masked, changed := r.Mask(c.Content)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]Choice(nil), choices...)
		}
		out[i].Content = masked
	}
	if out == nil {
		return choices, false, nil
	}
	return out, true, nil
}
