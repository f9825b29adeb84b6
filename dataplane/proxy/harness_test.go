package proxy_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/proxy"
	dpsync "github.com/claimgate/claimgate/dataplane/sync"
	"github.com/claimgate/claimgate/test/fakellm"
)

// harness is a real proxy in standalone mode on a loopback port, reading its snapshot
// from a file, in front of the fake LLM backend.
type harness struct {
	t      *testing.T
	path   string
	port   uint32
	base   string
	srv    *proxy.Server
	fake   *fakellm.Server
	admin  *httptest.Server
	access *syncBuffer
}

// syncBuffer collects access-log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t testing.TB) uint32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return uint32(ln.Addr().(*net.TCPAddr).Port)
}

// newHarness starts the proxy; opts adjust its configuration.
func newHarness(t *testing.T, fakeCfg fakellm.Config, opts ...func(*proxy.Config)) *harness {
	t.Helper()
	// The fake starts before the proxy's port is chosen: a listener opened in between
	// could take the port freePort just gave back.
	fake := fakellm.New(fakeCfg)
	fake.Start()
	t.Cleanup(fake.Close)
	// So is the admin server, whose handler is the proxy's once it exists.
	var adminHandler atomic.Pointer[http.Handler]
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*adminHandler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(admin.Close)
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "snapshot.json"), port: freePort(t), access: &syncBuffer{}, fake: fake, admin: admin}
	h.base = "http://127.0.0.1:" + strconv.Itoa(int(h.port))

	reg := prometheus.NewRegistry()
	auth := authn.New(authn.Config{Logger: logr.Discard(), Registerer: reg})
	cfg := proxy.Config{
		Authenticator: auth, Logger: logr.Discard(), Registerer: reg, ListenHost: "127.0.0.1",
		InitialPorts: []uint32{h.port}, ShutdownTimeout: time.Second,
		AccessLog: logr.FromSlogHandler(slog.NewJSONHandler(h.access, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := proxy.New(cfg)
	require.NoError(t, err)
	h.srv = srv
	handler := srv.AdminHandler(reg)
	adminHandler.Store(&handler)

	ctx, cancel := context.WithCancel(context.Background())
	files := dpsync.NewFileSource(dpsync.FileConfig{Path: h.path, Applier: srv, Logger: logr.Discard(), Interval: 10 * time.Millisecond})
	require.NoError(t, reg.Register(files))
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{auth.Start, srv.Start, files.Start} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	require.Eventually(t, func() bool {
		resp, err := http.Get(h.base + "/")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The proxy itself, not whatever else may hold the port.
		return resp.StatusCode == http.StatusServiceUnavailable && string(b) == "no configuration yet"
	}, 5*time.Second, 10*time.Millisecond, "initial port never opened")
	return h
}

// apply writes s to the snapshot file (JSON, or YAML when asYAML) and waits until it serves.
func (h *harness) apply(s *snapshotv1.Snapshot, asYAML bool) {
	h.t.Helper()
	require.NoError(h.t, snapshotv1.SetVersion(s))
	h.writeFile(s, asYAML)
	require.Eventually(h.t, func() bool { return h.srv.Version() == s.GetVersion() }, 5*time.Second, 5*time.Millisecond,
		"snapshot %s never served", s.GetVersion())
}

// applyOnFreshPort applies build(port) on a newly chosen free port, choosing again when
// the port was taken in between (the snapshot is then rejected), and returns the port.
func (h *harness) applyOnFreshPort(build func(port uint32) *snapshotv1.Snapshot) uint32 {
	h.t.Helper()
	for range 5 {
		port := freePort(h.t)
		s := build(port)
		require.NoError(h.t, snapshotv1.SetVersion(s))
		h.writeFile(s, false)
		served := func() bool { return h.srv.Version() == s.GetVersion() }
		if assertEventually(served, 2*time.Second) {
			return port
		}
	}
	h.t.Fatal("no free port could be served")
	return 0
}

func assertEventually(cond func() bool, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func (h *harness) writeFile(s *snapshotv1.Snapshot, asYAML bool) {
	h.t.Helper()
	b, err := protojson.Marshal(s)
	require.NoError(h.t, err)
	if asYAML {
		b, err = yaml.JSONToYAML(b)
		require.NoError(h.t, err)
	}
	h.writeRaw(b)
}

// writeRaw replaces the snapshot file's content with b at once, so the file source never
// reads a partly written file.
func (h *harness) writeRaw(b []byte) {
	h.t.Helper()
	tmp := h.path + ".tmp"
	require.NoError(h.t, os.WriteFile(tmp, b, 0o600))
	require.NoError(h.t, os.Rename(tmp, h.path))
}

// metric returns the /metrics text.
func (h *harness) metrics() string {
	h.t.Helper()
	resp, err := http.Get(h.admin.URL + "/metrics")
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return string(b)
}

// do sends a request to the proxy and returns the response with its body read.
func (h *harness) do(method, path, token, body string) (*http.Response, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp, string(b)
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func itoa(p uint32) string { return strconv.Itoa(int(p)) }
