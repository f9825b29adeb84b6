package proxy

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSanitizeHeaders(t *testing.T) {
	claims := map[string]struct{}{"X-User-Id": {}, "X-Team": {}}
	tests := map[string]struct {
		in, want         http.Header
		allowUnderscores bool
		websocket        bool
	}{
		"hop-by-hop and named in Connection": {
			in: http.Header{
				"Connection": {"keep-alive, X-Custom", "x-other"}, "Keep-Alive": {"5"}, "X-Custom": {"1"},
				"X-Other": {"2"}, "Proxy-Authorization": {"Basic x"}, "Accept": {"*/*"},
			},
			want: http.Header{"Accept": {"*/*"}},
		},
		"h2c upgrade": {
			in:   http.Header{"Connection": {"Upgrade, HTTP2-Settings"}, "Upgrade": {"h2c"}, "Http2-Settings": {"AAMA"}},
			want: http.Header{},
		},
		"websocket upgrade is reported, removed until routed": {
			in:        http.Header{"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"WebSocket"}, "Sec-Websocket-Key": {"k"}},
			want:      http.Header{"Sec-Websocket-Key": {"k"}},
			websocket: true,
		},
		"upgrade without Connection is no upgrade": {
			in:   http.Header{"Upgrade": {"websocket"}},
			want: http.Header{},
		},
		"TE keeps trailers only": {
			in:   http.Header{"Te": {"gzip, trailers"}},
			want: http.Header{"Te": {"trailers"}},
		},
		"TE without trailers": {
			in:   http.Header{"Te": {"gzip"}},
			want: http.Header{},
		},
		"claim headers the client sent": {
			in:   http.Header{"X-User-Id": {"admin"}, "X-Team": {"a", "b"}, "X-Teams": {"c"}},
			want: http.Header{"X-Teams": {"c"}},
		},
		"underscores dropped by default": {
			in:   http.Header{"X_user_id": {"admin"}, "X_custom": {"1"}, "Accept": {"*/*"}},
			want: http.Header{"Accept": {"*/*"}},
		},
		"underscores allowed, never a claim header's spelling": {
			in:               http.Header{"X_user_id": {"admin"}, "X-team_": {"x"}, "X_custom": {"1"}},
			want:             http.Header{"X_custom": {"1"}, "X-team_": {"x"}},
			allowUnderscores: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := tc.in.Clone()
			ws := sanitizeHeaders(h, tc.allowUnderscores, claims)
			require.Equal(t, tc.want, h)
			require.Equal(t, tc.websocket, ws)
		})
	}
}

// FuzzSanitizeHeaders: whatever the client sends, no hop-by-hop header, no header it
// named in Connection, no claim header and (by default) no name with '_' is left, and
// every other header is left as it was.
func FuzzSanitizeHeaders(f *testing.F) {
	f.Add("X-User-Id, X-Team", "X_User_Id", "admin", "x-team", false)
	f.Add("Upgrade, HTTP2-Settings", "Upgrade", "h2c", "Http2-Settings", false)
	f.Add("keep-alive", "X_custom", "1", "Te", true)
	f.Add(",,, ,", "x-\u00e9", "v", "Accept", false)
	claims := map[string]struct{}{"X-User-Id": {}, "X-Team": {}}
	f.Fuzz(func(t *testing.T, conn, name1, value, name2 string, allow bool) {
		in := http.Header{"Connection": {conn}}
		in[textproto.CanonicalMIMEHeaderKey(name1)] = []string{value}
		in[textproto.CanonicalMIMEHeaderKey(name2)] = []string{value, value}
		h := in.Clone()
		sanitizeHeaders(h, allow, claims)
		var named []string
		for tok := range strings.SplitSeq(conn, ",") {
			if tok = textproto.TrimString(tok); tok != "" { // an empty element names nothing
				named = append(named, textproto.CanonicalMIMEHeaderKey(tok))
			}
		}
		for name, vs := range h {
			require.NotContains(t, hopByHop, name)
			require.NotContains(t, named, name, "named in Connection")
			require.NotContains(t, claims, name)
			if strings.Contains(name, "_") {
				require.True(t, allow, "%s kept", name)
				require.NotContains(t, claims, textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(name, "_", "-")))
			}
			if name != "Te" {
				require.Equal(t, in[name], vs, "%s changed", name)
			} else {
				require.Equal(t, []string{"trailers"}, vs)
			}
		}
		for name := range in {
			if _, kept := h[name]; kept || slices.Contains(hopByHop, name) || slices.Contains(named, name) || name == "Te" {
				continue
			}
			_, claim := claims[name]
			underscore := strings.Contains(name, "_")
			require.True(t, claim || underscore, "%s removed for no reason", name)
		}
	})
}
