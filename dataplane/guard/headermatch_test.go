package guard_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/dataplane/guard"
)

func TestHeaderMatcherMatches(t *testing.T) {
	tests := map[string]struct {
		matches []guard.HeaderMatch
		yes     []string
		no      []string
	}{
		"exact, any case of name and key": {
			matches: []guard.HeaderMatch{{Key: "X-User-Id", Type: guard.MatchExact}},
			yes:     []string{"X-User-Id", "x-user-id", "X-USER-ID"},
			no:      []string{"X-User-Ids", "X-User", "User-Id"},
		},
		"prefix": {
			matches: []guard.HeaderMatch{{Key: "x-team-", Type: guard.MatchPrefix}},
			yes:     []string{"X-Team-Name", "x-team-id"},
			no:      []string{"X-Team", "My-X-Team-Id"},
		},
		"suffix": {
			matches: []guard.HeaderMatch{{Key: "-trace", Type: guard.MatchSuffix}},
			yes:     []string{"X-B3-Trace", "my-trace"},
			no:      []string{"X-Trace-Id"},
		},
		"contains": {
			matches: []guard.HeaderMatch{{Key: "tenant", Type: guard.MatchContains}},
			yes:     []string{"X-Tenant-Id", "Tenant", "my-tenant"},
			no:      []string{"X-Tenan"},
		},
		"regex matches the whole name, case-insensitively": {
			matches: []guard.HeaderMatch{{Key: "X-(User|Team)-[a-z]+", Type: guard.MatchRegex}},
			yes:     []string{"X-User-Id", "x-team-name"},
			no:      []string{"X-User-Id-2", "Y-X-User-Id", "X-Org-Id"},
		},
		"credentials only by an exact match": {
			matches: []guard.HeaderMatch{
				{Key: "auth", Type: guard.MatchPrefix},
				{Key: "key", Type: guard.MatchSuffix},
				{Key: "o", Type: guard.MatchContains},
				{Key: ".*", Type: guard.MatchRegex},
			},
			yes: []string{"X-Other", "Authority"},
			no: []string{
				"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "Api-Key",
				"X-Goog-Api-Key",
			},
		},
		"a credential named exactly": {
			matches: []guard.HeaderMatch{{Key: "authorization", Type: guard.MatchExact}},
			yes:     []string{"Authorization"},
			no:      []string{"Cookie"},
		},
		"the call's own headers never": {
			matches: []guard.HeaderMatch{
				{Key: "content-type", Type: guard.MatchExact},
				{Key: "host", Type: guard.MatchExact},
				{Key: ".*", Type: guard.MatchRegex},
			},
			yes: []string{"X-Anything"},
			no: []string{
				"Content-Type", "Content-Length", "Host", "Accept", "Connection", "Transfer-Encoding",
				"Accept-Encoding", "Te", "Upgrade",
			},
		},
		"none": {
			yes: nil,
			no:  []string{"X-User-Id"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			hm, err := guard.NewHeaderMatcher(tc.matches)
			require.NoError(t, err)
			for _, h := range tc.yes {
				require.True(t, hm.Matches(h), "%s should match", h)
			}
			for _, h := range tc.no {
				require.False(t, hm.Matches(h), "%s should not match", h)
			}
		})
	}
}

func TestNewHeaderMatcherErrors(t *testing.T) {
	tests := map[string]struct {
		matches []guard.HeaderMatch
		want    string
	}{
		"invalid regex": {
			matches: []guard.HeaderMatch{{Key: "a", Type: guard.MatchExact}, {Key: "x-(", Type: guard.MatchRegex}},
			want:    "forwardHeaders[1]: compiling REGEX key",
		},
		"a pattern made valid only by wrapping it": {
			matches: []guard.HeaderMatch{{Key: "a)|(b", Type: guard.MatchRegex}},
			want:    "forwardHeaders[0]: compiling REGEX key",
		},
		"empty key": {
			matches: []guard.HeaderMatch{{Key: "", Type: guard.MatchPrefix}},
			want:    "forwardHeaders[0]: key is empty",
		},
		"unknown type": {
			matches: []guard.HeaderMatch{{Key: "a", Type: guard.MatchType(9)}},
			want:    "forwardHeaders[0]: unknown match type 9",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := guard.NewHeaderMatcher(tc.matches)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestHeaderMatcherSelect(t *testing.T) {
	hm, err := guard.NewHeaderMatcher([]guard.HeaderMatch{{Key: "x-user-", Type: guard.MatchPrefix}})
	require.NoError(t, err)
	h := http.Header{
		"X-User-Id":     {"alice"},
		"X-User-Groups": {"a", "b"},
		"Authorization": {"Bearer secret"},
		"Accept":        {"*/*"},
	}
	got := hm.Select(h)
	require.Equal(t, http.Header{"X-User-Id": {"alice"}, "X-User-Groups": {"a", "b"}}, got)
	got["X-User-Groups"][0] = "changed"
	require.Equal(t, "a", h["X-User-Groups"][0], "Select copies the values")

	require.Nil(t, hm.Select(http.Header{"Accept": {"*/*"}}))
	var none *guard.HeaderMatcher
	require.Nil(t, none.Select(h))
	require.False(t, none.Matches("X-User-Id"))
}

func TestMatchTypeString(t *testing.T) {
	require.Equal(t, "EXACT", guard.MatchExact.String())
	require.Equal(t, "REGEX", guard.MatchRegex.String())
	require.Equal(t, "MatchType(7)", guard.MatchType(7).String())
}
