package guard

import (
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// builtins are Gloo's built-in detectors (promptGuard regex builtins), in RE2. Gloo
// uses Presidio's recognizers, whose entity names are the masks; these follow what
// they match:
//
//   - SSN: a US Social Security number written in three groups (123-45-6789, also with
//     spaces or dots, one separator throughout); numbers no SSA would issue (area 000,
//     666 or 9xx, group 00, serial 0000) are not matched.
//   - CREDIT_CARD: 13 to 19 digits, optionally in groups split by single spaces or
//     dashes, that pass the Luhn checksum, as Presidio's recognizer checks: order and
//     tracking numbers of the same length are mostly left alone.
//   - PHONE_NUMBER: a North American number (555-123-4567, (555) 123-4567,
//     555.123.4567), optionally with a + country code, or an international number
//     written with a + and 8 to 15 digits in groups.
//   - EMAIL: an address local@domain.tld.
var builtins = map[snapshotv1.AiRegexGuard_BuiltIn]detector{
	snapshotv1.AiRegexGuard_SSN:          mustDetector(`\b\d{3}[- .]\d{2}[- .]\d{4}\b`, validSSN, "<US_SSN>"),
	snapshotv1.AiRegexGuard_CREDIT_CARD:  mustDetector(`\b\d(?:[ -]?\d){12,18}\b`, luhn, "<CREDIT_CARD>"),
	snapshotv1.AiRegexGuard_PHONE_NUMBER: mustDetector(`(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)[ .-]?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b|\+\d{1,3}(?:[ .-]?\d{2,4}){2,5}\b`, nil, "<PHONE_NUMBER>"),
	snapshotv1.AiRegexGuard_EMAIL:        mustDetector(`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b`, nil, "<EMAIL_ADDRESS>"),
}

func mustDetector(pattern string, valid func(string) bool, mask string) detector {
	d, err := newDetector(pattern, valid, mask)
	if err != nil {
		panic(err)
	}
	return d
}

// validSSN checks a matched SSN: one separator throughout and a number the SSA issues.
func validSSN(s string) bool {
	if len(s) != 11 || s[3] != s[6] {
		return false
	}
	area, group, serial := s[0:3], s[4:6], s[7:11]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// luhn reports whether the digits of s pass the Luhn checksum.
func luhn(s string) bool {
	sum, double, n := 0, false, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
		n++
	}
	return n >= 13 && sum%10 == 0
}
