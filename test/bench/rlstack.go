package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

// The rate-limit scenario's routes: the same plain route to the backend, with and
// without the RateLimitConfig.
const (
	rlOpenPath    = "/rl/open"
	rlLimitedPath = "/rl/limited"
)

// The sub claims of the scenario's tokens: the load's key stays far below its limit;
// the flood's key has a limit of its own, 1 a day.
const (
	rlLoadUser  = "rl-load"
	rlFloodUser = "rl-flood"
)

// rlHighLimit is the load key's limit per minute: high enough never to refuse.
const rlHighLimit = 1_000_000_000

// rlManifest is the scenario's objects: JWT authentication for every route of the
// Gateway (the run's key), a plain Upstream to the backend, two identical HTTPRoutes,
// and a RateLimitConfig keyed on the sub claim attached to one of them by a RouteOption.
const rlManifest = `apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: {name: jwt-provider, namespace: gloo-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}]
  options:
    jwt:
      providers:
        bench:
          issuer: %[1]s
          jwks:
            local:
              key: |
%[2]s
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: rl-backend, namespace: gloo-system}
spec:
  static:
    hosts: [{addr: 127.0.0.1, port: %[3]d}]
%[4]s%[5]s---
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: {name: per-user, namespace: gloo-system}
spec:
  raw:
    descriptors:
    - key: user
      rateLimit: {requestsPerUnit: %[6]d, unit: MINUTE}
    - key: user
      value: %[7]s
      rateLimit: {requestsPerUnit: 1, unit: DAY}
    rateLimits:
    - actions:
      - metadata: {descriptorKey: user, metadataKey: {key: envoy.filters.http.jwt_authn, path: [{key: principal}, {key: sub}]}}
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: {name: rl-limit, namespace: gloo-system}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: rl-limited}]
  options:
    rateLimitConfigs: {refs: [{name: per-user, namespace: gloo-system}]}
`

const rlRoute = `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: gloo-system}
spec:
  parentRefs: [{name: ai-gateway, namespace: gloo-system}]
  rules:
  - matches: [{path: {type: PathPrefix, value: %s}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /v1/chat/completions}}}]
    backendRefs: [{name: rl-backend, group: gloo.solo.io, kind: Upstream}]
`

func rateLimitManifest(publicPEM string, backendPort int) string {
	var key strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(publicPEM), "\n") {
		key.WriteString("                " + l + "\n")
	}
	return fmt.Sprintf(rlManifest, Issuer, strings.TrimRight(key.String(), "\n"), backendPort,
		fmt.Sprintf(rlRoute, "rl-open", rlOpenPath), fmt.Sprintf(rlRoute, "rl-limited", rlLimitedPath),
		rlHighLimit, rlFloodUser)
}

// rlStack is the rate-limit fixture: a local API server, redis-server on a free
// loopback port, the controller handing it to the proxies, and two proxies of the
// tutorial's Gateway (127.0.0.1 and 127.0.0.2, same port).
type rlStack struct {
	st     *stack.Stack
	bases  []string // the proxies' base URLs
	admins []string // their admin addresses
}

// redisAvailable says why the scenario cannot run redis-server, nil when it can.
func redisAvailable(cfg Config) error {
	if _, err := os.Stat(filepath.Join(cfg.RedisBin, "redis-server")); err != nil {
		return fmt.Errorf("no redis-server in %s (make redis)", cfg.RedisBin)
	}
	return nil
}

func startRLStack(ctx context.Context, cfg Config, dir string, backendPort int, publicPEM string) (*rlStack, error) {
	scfg := stack.Config{
		Dir: dir, Bin: cfg.Bin, RedisBin: cfg.RedisBin,
		ProxyFlags: []string{"--access-log=false", "--log-level=error"},
	}
	admin2 := ""
	for _, a := range []*string{&scfg.GRPCAddr, &scfg.ProxyAdminAddr, &scfg.ControllerProbeAddr, &scfg.RedisAddr, &admin2} {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		*a = "127.0.0.1:" + strconv.Itoa(p)
	}
	st, err := stack.StartAPI(ctx, scfg)
	if err != nil {
		return nil, fmt.Errorf("starting the API server: %w", err)
	}
	s := &rlStack{st: st, admins: []string{scfg.ProxyAdminAddr, admin2}}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := s.start(sctx, backendPort, publicPEM); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *rlStack) start(ctx context.Context, backendPort int, publicPEM string) error {
	if err := s.st.StartRedis(ctx); err != nil {
		return err
	}
	if err := s.st.StartController(ctx); err != nil {
		return err
	}
	gwPort, err := freePort()
	if err != nil {
		return err
	}
	if err := s.st.ApplyGatewayClass(); err != nil {
		return fmt.Errorf("applying the GatewayClass: %w", err)
	}
	if err := applySample(s.st, "00-gateway.yaml", gwPort, backendPort); err != nil {
		return err
	}
	if err := applyManifest(s.st, "ratelimit.yaml", rateLimitManifest(publicPEM, backendPort)); err != nil {
		return err
	}
	if err := s.st.StartProxy(gwPort); err != nil {
		return fmt.Errorf("starting the first proxy: %w", err)
	}
	if _, err := s.st.StartFleetProxy(1, gwPort, s.admins[1]); err != nil {
		return fmt.Errorf("starting the second proxy: %w", err)
	}
	for i := range s.admins {
		s.bases = append(s.bases, "http://"+stack.ProxyHost(i)+":"+strconv.Itoa(gwPort))
	}
	return s.st.WaitProgrammed(ctx)
}

// procs are the two proxies.
func (s *rlStack) procs() []*proc { return append([]*proc{s.st.Proxy}, s.st.Fleet...) }

// targets are path on every proxy, with tok, expecting want.
func (s *rlStack) targets(path, tok string, want int) []Target {
	out := make([]Target, len(s.bases))
	for i, b := range s.bases {
		out[i] = Target{URL: b + path, Body: requestBody, Token: fixed(tok), Want: want}
	}
	return out
}

// waitLimited waits until every proxy serves both routes, applies the limit on the
// limited one (its answers carry x-ratelimit-limit) and counts in Redis.
func (s *rlStack) waitLimited(tok string, timeout time.Duration) error {
	for i, p := range s.procs() {
		open := s.targets(rlOpenPath, tok, http.StatusOK)[i]
		if err := waitStatus(open, p, timeout); err != nil {
			return err
		}
		if err := waitLimitHeader(s.targets(rlLimitedPath, tok, http.StatusOK)[i], p, timeout); err != nil {
			return err
		}
	}
	_, err := scrapeRedis(s.admins)
	return err
}

// waitLimitHeader polls t until it answers t.Want with an x-ratelimit-limit header.
func waitLimitHeader(t Target, p *proc, timeout time.Duration) error {
	c := newClient(1)
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if exited(p) {
			return fmt.Errorf("%s exited; see %s", p.Name, p.LogPath)
		}
		code, h := sendHeader(c, t)
		if code == t.Want && h.Get("X-Ratelimit-Limit") != "" {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("after %v %s answers without a rate limit", timeout, t.URL)
}

// sendHeader is send, returning the answer's header too (status 0 on a transport error).
func sendHeader(c *http.Client, t Target) (int, http.Header) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.Token(0))
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// cpuSeconds is the CPU time the proxies and redis-server have used.
func (s *rlStack) cpuSeconds() (proxies, redis float64) {
	for _, p := range s.procs() {
		proxies += procCPU(p)
	}
	return proxies, procCPU(s.st.Redis)
}

func (s *rlStack) stop() { _ = s.st.Stop() }
