package proxy

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

func TestCorsAllowedOrigin(t *testing.T) {
	c, err := compileCors(&snapshotv1.CorsPolicy{
		AllowOrigin: []string{"https://a.example"}, AllowOriginRegex: []string{`https://(eu|us)\.b\.example`},
	})
	require.NoError(t, err)
	for origin, want := range map[string]bool{
		"https://a.example": true, "https://A.example": false, "https://a.example.evil": false,
		"https://eu.b.example": true, "https://xx.b.example": false, "https://eu.b.example:8443": false, "": false,
	} {
		_, ok := c.allowedOrigin(http.Header{"Origin": {origin}})
		require.Equal(t, want, ok, origin)
	}
	_, ok := c.allowedOrigin(http.Header{"Origin": {"https://a.example", "https://a.example"}})
	require.False(t, ok, "several Origin values")
	_, ok = c.allowedOrigin(http.Header{})
	require.False(t, ok)
}

func TestCorsReplacesUpstreamHeaders(t *testing.T) {
	c, err := compileCors(&snapshotv1.CorsPolicy{AllowOrigin: []string{"*"}, ExposeHeaders: []string{"a", "b"}})
	require.NoError(t, err)
	h := http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"c"}, "X-Other": {"1"}}
	c.addTo(h, []string{"https://x.example"})
	require.Equal(t, http.Header{
		"Access-Control-Allow-Origin": {"https://x.example"}, "Access-Control-Expose-Headers": {"a,b"}, "X-Other": {"1"},
	}, h)
}

func TestCorsRefused(t *testing.T) {
	_, err := compileCors(&snapshotv1.CorsPolicy{AllowOriginRegex: []string{"("}})
	require.ErrorContains(t, err, "cors: allow_origin_regex 0")
	_, err = compileCors(&snapshotv1.CorsPolicy{MaxAge: "60\r\nSet-Cookie: a=b"})
	require.ErrorContains(t, err, "cors: max_age has a control character")
	c, err := compileCors(nil)
	require.NoError(t, err)
	require.Nil(t, c)
}
