package publish

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/types"
)

// proxyCreds are the mTLS credentials of a proxy certificate issued by iss for gw.
func proxyCreds(t *testing.T, b *Bundle, iss *ProxyIssuer, gw types.NamespacedName) credentials.TransportCredentials {
	t.Helper()
	cert, key, err := iss.Issue(gw)
	require.NoError(t, err)
	cfg, err := b.ClientTLS("localhost")
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(cert, key)
	require.NoError(t, err)
	cfg.Certificates = []tls.Certificate{pair}
	return credentials.NewTLS(cfg)
}

func TestProxyCertificateIsBoundToItsGateway(t *testing.T) {
	b := memoryBundle(t)
	iss, err := NewProxyIssuer(b, nil, 0)
	require.NoError(t, err)
	h := startServer(t, b)
	other := types.NamespacedName{Namespace: "team-b", Name: "other"}
	h.store.Set(gwKey, snapshot(t, gwKey, "http"))
	h.store.Set(other, snapshot(t, other, "http"))
	creds := proxyCreds(t, b, iss, gwKey)
	tests := map[string]struct {
		gw       types.NamespacedName
		wantCode codes.Code
	}{
		"its own Gateway":      {gw: gwKey, wantCode: codes.OK},
		"another Gateway":      {gw: other, wantCode: codes.PermissionDenied},
		"same name, elsewhere": {gw: types.NamespacedName{Namespace: "team-b", Name: gwKey.Name}, wantCode: codes.PermissionDenied},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := recv(t, open(t, h.dial(t, creds), hello(tc.gw, "p", "")), 5*time.Second)
			require.Equal(t, tc.wantCode, status.Code(err), "%v", err)
			if tc.wantCode == codes.OK {
				require.Equal(t, tc.gw.Name, got.GetGatewayName())
			}
		})
	}
}

func TestProxyIssuerValid(t *testing.T) {
	b := memoryBundle(t)
	iss, err := NewProxyIssuer(b, nil, 0)
	require.NoError(t, err)
	foreign, err := NewProxyIssuer(memoryBundle(t), nil, 0)
	require.NoError(t, err)
	cert, key, err := iss.Issue(gwKey)
	require.NoError(t, err)
	fCert, fKey, err := foreign.Issue(gwKey)
	require.NoError(t, err)
	short, err := NewProxyIssuer(b, nil, 24*time.Hour)
	require.NoError(t, err)
	sCert, sKey, err := short.Issue(gwKey)
	require.NoError(t, err)
	tests := map[string]struct {
		gw        types.NamespacedName
		cert, key []byte
		want      bool
	}{
		"issued for it":          {gw: gwKey, cert: cert, key: key, want: true},
		"issued for another":     {gw: types.NamespacedName{Namespace: "x", Name: "y"}, cert: cert, key: key},
		"another CA":             {gw: gwKey, cert: fCert, key: fKey},
		"mismatched key":         {gw: gwKey, cert: cert, key: fKey},
		"expires within a month": {gw: gwKey, cert: sCert, key: sKey},
		"empty":                  {gw: gwKey},
		"the bootstrap client":   {gw: gwKey, cert: b.ClientCert, key: b.ClientKey},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, iss.Valid(tc.gw, tc.cert, tc.key))
		})
	}
	_, err = NewProxyIssuer(&Bundle{CA: b.CA}, nil, 0)
	require.ErrorContains(t, err, "no CA key")
}
