package proxy_test

import (
	"encoding/pem"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/fakellm"
)

// TestUpstreamTLSIsVerified: an HTTPS endpoint is reached when its certificate verifies
// against ca_pem (with the SNI given), and refused (502) when it does not.
func TestUpstreamTLSIsVerified(t *testing.T) {
	backend := fakellm.New(fakellm.Config{})
	backend.StartTLS()
	defer backend.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: backend.HTTPTest().Certificate().Raw})

	tests := map[string]struct {
		ca         []byte
		sni        string
		wantStatus int
	}{
		"verified with ca_pem and sni":        {ca: caPEM, sni: "example.com", wantStatus: 200},
		"verified with ca_pem by IP":          {ca: caPEM, wantStatus: 200},
		"unknown authority is refused":        {wantStatus: 502},
		"name not in the certificate refused": {ca: caPEM, sni: "api.openai.com", wantStatus: 502},
	}
	h := newHarness(t, fakellm.Config{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := tutorial(t, h.port, backend.HostPort(), false, false)
			ep := s.Upstreams[0].GetLlm().GetEndpoint()
			ep.Tls, ep.CaPem, ep.Sni = true, tc.ca, tc.sni
			h.apply(s, false)
			backend.Reset()
			resp, body := h.do(http.MethodPost, "/openai", "", `{"model":"m"}`)
			require.Equal(t, tc.wantStatus, resp.StatusCode, body)
			seen, reached := backend.Last()
			require.Equal(t, tc.wantStatus == 200, reached)
			if reached {
				require.Equal(t, "Bearer "+openaiKey, seen.Header.Get("Authorization"))
			}
		})
	}
}
