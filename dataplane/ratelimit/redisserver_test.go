package ratelimit

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// redisBinary is the redis-server that `make redis` installs, or a failure saying to
// run it: the shared-counter tests never skip for want of a server.
func redisBinary(t testing.TB, tool string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "bin", "redis", tool))
	require.NoError(t, err)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s not found: run `make redis` at the repository's root to install it (%v)", path, err)
	}
	return path
}

// redisServer is a redis-server process of the test on a loopback port.
type redisServer struct {
	t    testing.TB
	port int
	dir  string
	args []string
	// cliArgs are redis-cli's flags to reach the server (password, TLS).
	cliArgs []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// startRedis starts a server with args on a free port (passed as --port unless args
// choose their own with portFlag); it is killed when the test ends.
func startRedis(t testing.TB, args ...string) *redisServer {
	return startRedisOn(t, freePort(t), "--port", args...)
}

func startRedisOn(t testing.TB, port int, portFlag string, args ...string) *redisServer {
	t.Helper()
	s := &redisServer{t: t, port: port, dir: t.TempDir()}
	s.args = append([]string{
		portFlag, strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
	}, args...)
	if portFlag != "--port" {
		s.args = append(s.args, "--port", "0")
	}
	s.start()
	t.Cleanup(s.kill)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs the server and waits until it accepts connections.
func (s *redisServer) start() {
	s.t.Helper()
	cmd := exec.Command(redisBinary(s.t, "redis-server"), s.args...)
	out, err := cmd.StdoutPipe()
	require.NoError(s.t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(s.t, cmd.Start())
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()

	ready := make(chan struct{})
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				signalled = true
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		s.t.Fatalf("redis-server on port %d did not start:\n%s", s.port, log.String())
	}
}

// kill stops the server at once (SIGKILL), as a crash would.
func (s *redisServer) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// signal sends sig to the server: SIGSTOP leaves it connected and silent, SIGCONT
// wakes it.
func (s *redisServer) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NoError(s.t, s.cmd.Process.Signal(sig))
}

// cli runs redis-cli against the server and returns its output.
func (s *redisServer) cli(args ...string) string {
	s.t.Helper()
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port)}, s.cliArgs...)
	out, err := exec.Command(redisBinary(s.t, "redis-cli"), append(all, args...)...).CombinedOutput()
	require.NoError(s.t, err, "redis-cli %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// calls is the number of times the server ran each of cmds (INFO commandstats).
func (s *redisServer) calls(cmds ...string) map[string]int {
	s.t.Helper()
	out := map[string]int{}
	for _, line := range strings.Split(s.cli("INFO", "commandstats"), "\n") {
		for _, c := range cmds {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+c+":calls=")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			require.NoError(s.t, err)
			out[c] = n
		}
	}
	for _, c := range cmds {
		out[c] += 0
	}
	return out
}

// startCluster starts three masters and makes them one cluster with redis-cli
// --cluster create, waiting until every node reports cluster_state:ok.
func startCluster(t testing.TB) []*redisServer {
	t.Helper()
	nodes := make([]*redisServer, 3)
	create := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000")
		create = append(create, nodes[i].addr())
	}
	nodes[0].cli(append(create, "--cluster-replicas", "0", "--cluster-yes")...)
	deadline := time.Now().Add(15 * time.Second)
	for _, n := range nodes {
		for !strings.Contains(n.cli("CLUSTER", "INFO"), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("the cluster did not converge: %s", n.cli("CLUSTER", "INFO"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// writeCounter counts, per server address, the writes of the store's connections that
// carry counter commands (not the client's keep-alive PINGs): one write is one
// pipeline sent, hence one round trip.
type writeCounter struct {
	mu     sync.Mutex
	writes map[string]int
}

func newWriteCounter() *writeCounter { return &writeCounter{writes: map[string]int{}} }

func (w *writeCounter) wrap(c net.Conn) net.Conn { return &countedConn{Conn: c, w: w} }

func (w *writeCounter) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.writes)
}

func (w *writeCounter) total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, v := range w.writes {
		n += v
	}
	return n
}

func (w *writeCounter) byAddr() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for k, v := range w.writes {
		out[k] = v
	}
	return out
}

type countedConn struct {
	net.Conn
	w *writeCounter
}

func (c *countedConn) Write(p []byte) (int, error) {
	s := string(p)
	if strings.Contains(s, "INCRBY") || strings.Contains(s, "EXPIREAT") || strings.Contains(s, "\r\nGET\r\n") {
		c.w.mu.Lock()
		c.w.writes[c.RemoteAddr().String()]++
		c.w.mu.Unlock()
	}
	return c.Conn.Write(p)
}

// newRedisStore opens a store on cfg that must connect, closed when the test ends.
func newRedisStore(t testing.TB, cfg RedisConfig) *RedisStore {
	t.Helper()
	s, err := NewRedisStore(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Ping(context.Background()))
	return s
}

// futureWindow is a clock 30 minutes into the next hour: the windows of the tests end
// after the server's clock, which expires the counters.
func futureWindow() *clock {
	return newClock(time.Now().UTC().Truncate(time.Hour).Add(90 * time.Minute))
}

func redisKey(k string) string { return DefaultRedisKeyPrefix + k }

func hits(keys ...string) []Hit {
	out := make([]Hit, len(keys))
	for i, k := range keys {
		out[i] = Hit{Key: []byte(k), Amount: 1, Expires: time.Now().Add(time.Hour).Truncate(time.Second)}
	}
	return out
}

func mustApply(t testing.TB, s Store, hs []Hit) []uint64 {
	t.Helper()
	counts := make([]uint64, len(hs))
	require.NoError(t, s.Apply(context.Background(), hs, counts))
	return counts
}
