package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/proxy"
	"github.com/claimgate/claimgate/test/fakellm"
	"github.com/claimgate/claimgate/test/tokens"
)

// benchProxy starts an in-process proxy serving snap (built for its port and the fake's
// address) in front of a fake backend that records nothing, and returns its base URL.
func benchProxy(b *testing.B, cacheSize int, build func(port uint32, backend string) *snapshotv1.Snapshot) string {
	b.Helper()
	fake := fakellm.New(fakellm.Config{Keep: -1})
	fake.Start()
	b.Cleanup(fake.Close)
	auth := authn.New(authn.Config{Logger: logr.Discard(), CacheSize: cacheSize})
	srv, err := proxy.New(proxy.Config{Authenticator: auth, Logger: logr.Discard(), ListenHost: "127.0.0.1"})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{auth.Start, srv.Start} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	b.Cleanup(func() { cancel(); wg.Wait() })
	port := freePort(b)
	s := build(port, fake.HostPort())
	require.NoError(b, snapshotv1.SetVersion(s))
	require.NoError(b, srv.Apply(s))
	return "http://127.0.0.1:" + itoa(port)
}

// benchRequests sends POST /openai in parallel over keep-alive connections; token(i)
// gives the token of the i-th request ("" for none).
func benchRequests(b *testing.B, base string, token func(i int64) string) {
	b.Helper()
	benchRequestsWith(b, base, token, nil)
}

// benchRequestsWith is benchRequests with extra request headers.
func benchRequestsWith(b *testing.B, base string, token func(i int64) string, extra http.Header) {
	b.Helper()
	body, err := tokens.ReadSeed("manifests/request.json")
	require.NoError(b, err)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(8) // 16 concurrent keep-alive connections on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest(http.MethodPost, base+"/openai", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			for k, vs := range extra {
				req.Header[k] = vs
			}
			if tok := token(n.Add(1)); tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkProxy measures the request path: no policy, a retry policy, the tutorial's JWT
// + RBAC with the same token every request (verified-token cache), and the same policy
// with a token never seen before on every request (a full RS256 verification each time).
func BenchmarkProxy(b *testing.B) {
	b.Run("no-policy", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			return tutorial(b, port, backend, false, false)
		})
		benchRequests(b, base, func(int64) string { return "" })
	})
	// Lab 9's prompt guard (a rejecting pattern on the prompt, the card pattern on the
	// answer): what reading, checking and masking cost a request, next to no-policy.
	b.Run("prompt-guard", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			s := tutorial(b, port, backend, false, false)
			s.Listeners[0].VirtualHosts[0].Routes[0].AiGuard = labGuard()
			return s
		})
		benchRequests(b, base, func(int64) string { return "" })
	})
	b.Run("no-policy-cors-headers", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			s := tutorial(b, port, backend, false, false)
			withHTTPOptions(s.Listeners[0].VirtualHosts[0].Routes[0])
			return s
		})
		benchRequestsWith(b, base, func(int64) string { return "" }, http.Header{"Origin": {"https://app.example"}})
	})
	// The same route with a retry policy and a per-try timeout (the answers are 200, so
	// no retry happens): what the attempt machinery costs a request, next to no-policy.
	b.Run("retry-policy", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			s := tutorial(b, port, backend, false, false)
			r := s.Listeners[0].VirtualHosts[0].Routes[0]
			r.Retry = &snapshotv1.RetryPolicy{RetryOn: []string{"5xx", "reset"}, NumRetries: 1}
			r.Timeouts = &snapshotv1.Timeouts{Request: durationpb.New(time.Minute), BackendRequest: durationpb.New(30 * time.Second)}
			return s
		})
		benchRequests(b, base, func(int64) string { return "" })
	})
	// The same route to lab 7's failover pool of three models, the first answering (no
	// retry happens): what choosing a member and setting its model cost a request.
	b.Run("failover-lab7", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			s := tutorial(b, port, backend, false, false)
			ep := s.Upstreams[0].GetLlm().GetEndpoint()
			f := &snapshotv1.FailoverUpstream{}
			for _, m := range []string{"gpt-4o", "gpt-4.0-turbo", "gpt-3.5-turbo"} {
				f.Priorities = append(f.Priorities, &snapshotv1.FailoverPriority{Pool: []*snapshotv1.LlmUpstream{
					{Provider: snapshotv1.LlmProvider_OPENAI, AuthToken: openaiKey, Model: m, Endpoint: ep},
				}})
			}
			s.Upstreams[0].Kind = &snapshotv1.Upstream_Failover{Failover: f}
			r := s.Listeners[0].VirtualHosts[0].Routes[0]
			r.Retry = &snapshotv1.RetryPolicy{RetryOn: []string{"retriable-status-codes"}, RetriableStatusCodes: []uint32{429}, NumRetries: 2, PreviousPriorities: true}
			return s
		})
		benchRequests(b, base, func(int64) string { return "" })
	})
	b.Run("jwt-rbac-repeated-token", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			return tutorial(b, port, backend, true, true)
		})
		alice := tokens.Alice(b)
		benchRequests(b, base, func(int64) string { return alice })
	})
	// The same policy with lab 6's per-user limit (regular stage) and a per-address one
	// (early stage), both far from their limits, counted in memory.
	b.Run("jwt-rbac-rate-limits", func(b *testing.B) {
		base := benchProxy(b, 0, func(port uint32, backend string) *snapshotv1.Snapshot {
			s := tutorial(b, port, backend, true, true)
			perIP := limitBy("ns/per-ip", "remote_address", 1<<31, &snapshotv1.RateLimitAction{Kind: &snapshotv1.RateLimitAction_RemoteAddress{}})
			s.Listeners[0].VirtualHosts[0].Routes[0].RateLimits = &snapshotv1.RateLimits{
				Early: []*snapshotv1.RateLimitPolicy{perIP}, Regular: []*snapshotv1.RateLimitPolicy{perUserCounter(1 << 31)},
			}
			return s
		})
		alice := tokens.Alice(b)
		benchRequests(b, base, func(int64) string { return alice })
	})
	b.Run("jwt-rbac-fresh-token", func(b *testing.B) {
		key := tokens.NewRSA(b, "", "RS256")
		// Distinct tokens cycled through a cache far smaller than their number: every
		// request pays a full verification.
		minted := make([]string, min(b.N, 2048))
		for i := range minted {
			minted[i] = key.Mint(b, map[string]any{
				"iss": "solo.io", "sub": "user-" + itoa(uint32(i)), "jti": i,
				"llms": map[string]any{"openai": []any{"gpt-3.5-turbo"}},
			})
		}
		base := benchProxy(b, 16, func(port uint32, backend string) *snapshotv1.Snapshot {
			s := tutorial(b, port, backend, true, true)
			s.JwtProviders[0].KeySource = &snapshotv1.JwtProvider_LocalJwks{LocalJwks: key.PublicPEM(b)}
			return s
		})
		benchRequests(b, base, func(i int64) string { return minted[i%int64(len(minted))] })
	})
}

// BenchmarkPolicyPath measures what the proxy itself spends on a request, without any
// network: routing, JWT authentication, RBAC, metrics and the answer, on a route that
// answers directly. It isolates the cost of the tutorial's policy.
func BenchmarkPolicyPath(b *testing.B) {
	key := tokens.NewRSA(b, "", "RS256")
	cases := map[string]struct {
		jwt, rbac bool
		options   bool // CORS and header manipulation, with an Origin on every request
		cache     int
		tokens    []string
	}{
		"no-policy":               {},
		"no-policy-cors-headers":  {options: true},
		"jwt-rbac-repeated-token": {jwt: true, rbac: true, tokens: []string{tokens.Alice(b)}},
		"jwt-rbac-fresh-token":    {jwt: true, rbac: true, cache: 16},
	}
	fresh := cases["jwt-rbac-fresh-token"]
	for i := range 1024 {
		fresh.tokens = append(fresh.tokens, key.Mint(b, map[string]any{
			"iss": "solo.io", "sub": "user-" + itoa(uint32(i)), "llms": map[string]any{"openai": []any{"gpt-3.5-turbo"}},
		}))
	}
	cases["jwt-rbac-fresh-token"] = fresh
	for _, name := range []string{"no-policy", "no-policy-cors-headers", "jwt-rbac-repeated-token", "jwt-rbac-fresh-token"} {
		tc := cases[name]
		b.Run(name, func(b *testing.B) {
			auth := authn.New(authn.Config{Logger: logr.Discard(), CacheSize: tc.cache})
			srv, err := proxy.New(proxy.Config{Authenticator: auth, Logger: logr.Discard(), ListenHost: "127.0.0.1"})
			require.NoError(b, err)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = srv.Start(ctx) }()
			b.Cleanup(func() { cancel(); <-done })
			port := freePort(b)
			s := tutorial(b, port, "127.0.0.1:1", tc.jwt, tc.rbac)
			if tc.jwt && name == "jwt-rbac-fresh-token" {
				s.JwtProviders[0].KeySource = &snapshotv1.JwtProvider_LocalJwks{LocalJwks: key.PublicPEM(b)}
			}
			r := s.Listeners[0].VirtualHosts[0].Routes[0]
			r.DirectResponse = &snapshotv1.DirectResponse{Status: 200, Body: "ok"}
			if tc.options {
				withHTTPOptions(r)
			}
			require.NoError(b, snapshotv1.SetVersion(s))
			require.NoError(b, srv.Apply(s))
			h := srv.Handler(port)
			b.ReportAllocs()
			b.ResetTimer()
			w := &statusWriter{header: http.Header{}}
			for i := range b.N {
				req := &http.Request{
					Method: http.MethodPost, URL: &url.URL{Path: "/openai"}, Host: "gw",
					Header: make(http.Header, 2), Body: http.NoBody, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				}
				if len(tc.tokens) > 0 {
					req.Header["Authorization"] = []string{"Bearer " + tc.tokens[i%len(tc.tokens)]}
				}
				if tc.options {
					req.Header["Origin"] = benchOrigin
				}
				clear(w.header)
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

var benchOrigin = []string{"https://app.example"}

// withHTTPOptions gives r a CORS policy allowing benchOrigin and a header manipulation
// of each kind, as a browser-facing route would have.
func withHTTPOptions(r *snapshotv1.Route) {
	r.Cors = &snapshotv1.CorsPolicy{
		AllowOrigin: []string{"https://other.example", benchOrigin[0]}, AllowOriginRegex: []string{`https://.*\.app\.example`},
		AllowMethods: []string{"POST"}, AllowHeaders: []string{"authorization", "content-type"},
		ExposeHeaders: []string{"x-request-id"}, AllowCredentials: true,
	}
	r.HeaderManipulation = &snapshotv1.HeaderManipulation{
		RequestHeadersToAdd: []*snapshotv1.HeaderValueOption{
			{Name: "x-gateway", Value: "claimgate", Append: false}, {Name: "x-tenant", Value: "t1", Append: true},
		},
		RequestHeadersToRemove:  []string{"x-debug"},
		ResponseHeadersToAdd:    []*snapshotv1.HeaderValueOption{{Name: "x-served-by", Value: "claimgate"}},
		ResponseHeadersToRemove: []string{"server"},
	}
}

// statusWriter is a reusable ResponseWriter that keeps only the status.
type statusWriter struct {
	header http.Header
	code   int
}

func (w *statusWriter) Header() http.Header         { return w.header }
func (w *statusWriter) WriteHeader(code int)        { w.code = code }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }
