package proxy

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func hvo(name, value string, appendValue bool) *snapshotv1.HeaderValueOption {
	return &snapshotv1.HeaderValueOption{Name: name, Value: value, Append: appendValue}
}

func TestHeaderManipulationOrder(t *testing.T) {
	req, resp, err := compileHeaderManipulation(&snapshotv1.HeaderManipulation{
		RequestHeadersToRemove: []string{"x-drop", "x-replace"},
		RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{
			hvo("x-append", "two", true), hvo("x-replace", "new", false), hvo("x-new", "a", true),
			hvo("x-new", "b", true), hvo("x-reset", "1", true), hvo("x-reset", "2", false),
		},
	}, nil)
	require.NoError(t, err)
	require.Empty(t, resp)
	h := http.Header{"X-Drop": {"d"}, "X-Replace": {"old"}, "X-Append": {"one"}, "X-Reset": {"0"}, "X-Keep": {"k"}}
	for _, m := range req {
		m.apply(h)
	}
	require.Equal(t, http.Header{
		"X-Append": {"one", "two"}, "X-Replace": {"new"}, "X-New": {"a", "b"}, "X-Reset": {"2"}, "X-Keep": {"k"},
	}, h)
}

func TestHeaderManipulationRefused(t *testing.T) {
	claims := map[string]struct{}{"X-User-Id": {}}
	tests := map[string]struct {
		hm   *snapshotv1.HeaderManipulation
		want string
	}{
		"name not a token":     {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("x bad", "v", true)}}, want: `request: headers to add: header name "x bad" is not an HTTP token`},
		"empty name":           {hm: &snapshotv1.HeaderManipulation{ResponseHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("", "v", true)}}, want: "response: headers to add: header name is empty"},
		"pseudo-header":        {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo(":authority", "v", false)}}, want: "not an HTTP token"},
		"CR LF in value":       {hm: &snapshotv1.HeaderManipulation{ResponseHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("x-a", "v\r\nSet-Cookie: s=1", true)}}, want: "X-A: value has a control character at byte 1"},
		"NUL in value":         {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("x-a", "v\x00", true)}}, want: "control character"},
		"Host added":           {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("host", "evil", false)}}, want: "Host is managed by the proxy"},
		"Host removed":         {hm: &snapshotv1.HeaderManipulation{RequestHeadersToRemove: []string{"HOST"}}, want: "Host cannot be removed"},
		"Connection added":     {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("connection", "x-user-id", true)}}, want: "Connection is managed"},
		"Transfer-Encoding":    {hm: &snapshotv1.HeaderManipulation{ResponseHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("transfer-encoding", "chunked", true)}}, want: "Transfer-Encoding is managed"},
		"Content-Length":       {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("content-length", "0", false)}}, want: "Content-Length is managed"},
		"Upgrade":              {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("upgrade", "h2c", false)}}, want: "Upgrade is managed"},
		"claim header alias":   {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("x_user_id", "admin", false)}}, want: "X_user_id would read as a claim header"},
		"bad name to remove":   {hm: &snapshotv1.HeaderManipulation{ResponseHeadersToRemove: []string{"x\ny"}}, want: "response: headers to remove"},
		"hop-by-hop removable": {hm: &snapshotv1.HeaderManipulation{RequestHeadersToRemove: []string{"connection", "te"}}},
		"claim header added":   {hm: &snapshotv1.HeaderManipulation{RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("x-user-id", "operator", true), hvo("x_other", "1", true)}}},
		"tab and obs-text":     {hm: &snapshotv1.HeaderManipulation{ResponseHeadersToAdd: []*snapshotv1.HeaderValueOption{hvo("x-a", "a\tb é", true)}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := compileHeaderManipulation(tc.hm, claims)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}
