package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/claimgate/claimgate/cmd/claimgate/demo/fakellm"
	"github.com/claimgate/claimgate/cmd/claimgate/demo/stack"
)

// proc is a child process the benchmark started, logging to a file.
type proc = stack.Process

func startProc(name, logPath, bin string, args ...string) (*proc, error) {
	return stack.StartProcess(name, bin, args, nil, logPath)
}

// startProcEnv starts bin with env added to this process's environment.
func startProcEnv(name, logPath string, env []string, bin string, args ...string) (*proc, error) {
	return stack.StartProcess(name, bin, args, env, logPath)
}

// exited reports whether p has ended.
func exited(p *proc) bool {
	done, _ := p.Exited()
	return done
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// backend is the fake LLM served in this process.
type backend struct {
	srv  *http.Server
	addr string
}

func startBackend() (*backend, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the backend: %w", err)
	}
	h := fakellm.NewBackend(fakellm.Config{Keep: -1, StreamChunks: 5, StreamDelay: 10 * time.Millisecond})
	b := &backend{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr().String()}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *backend) port() int {
	_, p, _ := net.SplitHostPort(b.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (b *backend) close() { _ = b.srv.Close() }

// waitStatus polls t until it answers t.Want, p exits, or timeout passes.
func waitStatus(t Target, p *proc, timeout time.Duration) error {
	c := newClient(1)
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	last := 0
	for time.Now().Before(deadline) {
		if p != nil && exited(p) {
			return fmt.Errorf("%s exited; see %s", p.Name, p.LogPath)
		}
		if last = send(context.Background(), c, t, 0); last == t.Want {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("after " + timeout.String() + " " + t.URL + " answers " + strconv.Itoa(last) +
		", want " + strconv.Itoa(t.Want))
}

// logPath is where a process of the run logs.
func logPath(dir, name string) string { return filepath.Join(dir, name+".log") }

// getOK reports whether a GET of url answers 200 within a second.
func getOK(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url) //nolint:noctx // a local probe with a timeout
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
