package snapshotv1

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// TestReadLayoutAgreesWithUnmarshal: every field the layout reads is the decoded
// snapshot's, and each route's bytes decode to its route.
func TestReadLayoutAgreesWithUnmarshal(t *testing.T) {
	s, _ := withRoutes(t, routeNames(3)...)
	s.Listeners = append(s.Listeners, &Listener{
		Name: "https", Port: 8443, Protocol: Protocol_HTTPS, Hostname: "api.example.com", AllowHeadersWithUnderscores: true,
		Tls:          &ListenerTLS{Certificates: []*Certificate{{CertificatePem: []byte("cert")}}},
		VirtualHosts: []*VirtualHost{{Name: "a"}, {Name: "b", Domains: []string{"x", "y"}}},
	})
	s.JwtProviders = []*JwtProvider{{Id: "p1"}, {Id: "p2"}}
	s.RateLimitStore = &RateLimitStore{}
	require.NoError(t, SetVersion(s))
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	require.NoError(t, err)
	l, err := ReadLayout(enc)
	require.NoError(t, err)
	require.Equal(t, s.GetVersion(), l.Version)
	require.Equal(t, [2]string{"gloo-system", "ai-gateway"}, [2]string{l.GatewayNamespace, l.GatewayName})
	require.Len(t, l.Listeners, 2)
	requireLayoutOf(t, s, l)
	require.Len(t, l.Upstreams, 1)
	require.Len(t, l.JwtProviders, 2)
	require.NotNil(t, l.RateLimitStore)
}

func TestReadLayoutRefuses(t *testing.T) {
	tests := map[string]struct {
		enc  []byte
		want string
	}{
		"cut short":                 {enc: []byte{0x22, 0x05, 0x0a}, want: "field 4 at byte 0"},
		"listener not a message":    {enc: []byte{0x20, 0x01}, want: "listener: not a message"},
		"name not UTF-8":            {enc: []byte{0x12, 0x01, 0xff}, want: "not valid UTF-8"},
		"port not a varint":         {enc: []byte{0x22, 0x02, 0x12, 0x00}, want: `listener "": an integer field is not a varint`},
		"store written twice":       {enc: []byte{0x3a, 0x00, 0x3a, 0x00}, want: "written twice"},
		"route not a message":       {enc: []byte{0x22, 0x04, 0x32, 0x02, 0x18, 0x01}, want: "route: not a message"},
		"bad tag":                   {enc: []byte{0x00}, want: "at byte 0"},
		"virtual host name cut off": {enc: []byte{0x22, 0x04, 0x32, 0x02, 0x0a, 0x05}, want: "virtual host"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadLayout(tc.enc)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// FuzzReadLayout: any bytes are read or refused without a panic, and bytes both the
// layout and proto.Unmarshal read are read alike: the same listeners, virtual hosts and
// routes.
func FuzzReadLayout(f *testing.F) {
	_, enc := withRoutes(f, routeNames(3)...)
	f.Add(enc)
	f.Add([]byte{0x22, 0x04, 0x32, 0x02, 0x1a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ReadLayout(b)
		s := &Snapshot{}
		if err != nil || proto.Unmarshal(b, s) != nil {
			return
		}
		requireLayoutOf(t, s, l)
	})
}

// requireLayoutOf requires l to read what s decodes to: every field of Snapshot,
// Listener and VirtualHost, and route bytes that decode to s's routes.
func requireLayoutOf(t *testing.T, s *Snapshot, l *Layout) {
	t.Helper()
	require.Equal(t, s.GetVersion(), l.Version)
	require.Equal(t, [2]string{s.GetGatewayNamespace(), s.GetGatewayName()}, [2]string{l.GatewayNamespace, l.GatewayName})
	require.Len(t, l.Listeners, len(s.GetListeners()))
	for i, ll := range l.Listeners {
		want := s.GetListeners()[i]
		require.Equal(t, want.GetName(), ll.Name)
		require.Equal(t, want.GetPort(), ll.Port)
		require.Equal(t, want.GetProtocol(), ll.Protocol)
		require.Equal(t, want.GetHostname(), ll.Hostname)
		require.Equal(t, want.GetAllowHeadersWithUnderscores(), ll.AllowHeadersWithUnderscores)
		require.Equal(t, want.GetTls() != nil, ll.TLS != nil)
		require.Len(t, ll.VirtualHosts, len(want.GetVirtualHosts()))
		for j, vh := range ll.VirtualHosts {
			wvh := want.GetVirtualHosts()[j]
			require.Equal(t, wvh.GetName(), vh.Name)
			require.Equal(t, wvh.GetDomains(), vh.Domains)
			require.Len(t, vh.Routes, len(wvh.GetRoutes()))
			for k, b := range vh.Routes {
				r := &Route{}
				require.NoError(t, proto.Unmarshal(b, r))
				require.True(t, proto.Equal(wvh.GetRoutes()[k], r))
			}
		}
	}
	require.Len(t, l.Upstreams, len(s.GetUpstreams()))
	require.Len(t, l.JwtProviders, len(s.GetJwtProviders()))
	require.Equal(t, s.GetRateLimitStore() != nil, l.RateLimitStore != nil)
}

// TestReadLayoutKnowsEveryField fails when a field is added to a message ReadLayout
// reads by hand, until ReadLayout (and this list) reads it.
func TestReadLayoutKnowsEveryField(t *testing.T) {
	read := map[string][]int{
		"Snapshot":    {1, 2, 3, 4, 5, 6, 7},
		"Listener":    {1, 2, 3, 4, 5, 6, 7},
		"VirtualHost": {1, 2, 3},
	}
	for name, msg := range map[string]proto.Message{"Snapshot": &Snapshot{}, "Listener": &Listener{}, "VirtualHost": &VirtualHost{}} {
		fields := msg.ProtoReflect().Descriptor().Fields()
		var got []int
		for i := range fields.Len() {
			got = append(got, int(fields.Get(i).Number()))
		}
		slices.Sort(got)
		require.Equal(t, read[name], got, "fields of %s", name)
	}
}
