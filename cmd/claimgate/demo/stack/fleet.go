package stack

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"
)

// A fleet is several proxies of the tutorial's Gateway, each on its own loopback address
// (127.0.0.1, 127.0.0.2, …) with the same port, sharing rate-limit counters through a
// local redis-server when the stack runs one.

// ProxyHost is the loopback address of proxy i (0-based).
func ProxyHost(i int) string { return "127.0.0." + strconv.Itoa(i+1) }

// StartFleetProxy starts proxy i (i ≥ 1; proxy 0 is StartProxy's) on ProxyHost(i):port,
// with its admin endpoint on adminAddr.
func (s *Stack) StartFleetProxy(i, port int, adminAddr string) (*Process, error) {
	args := s.proxyArgs(fmt.Sprintf("local-proxy-%d", i), ProxyHost(i), port, adminAddr)
	p, err := StartProcess(fmt.Sprintf("proxy-%d", i), filepath.Join(s.Bin, "proxy"), args, nil,
		filepath.Join(s.Dir, "logs", fmt.Sprintf("proxy-%d.log", i)))
	if err != nil {
		return nil, err
	}
	s.Fleet = append(s.Fleet, p)
	return p, nil
}

// proxyArgs are the flags of a local proxy of the tutorial's Gateway.
func (s *Stack) proxyArgs(instance, host string, port int, adminAddr string) []string {
	return append([]string{
		"--gateway=" + GatewayNamespace + "/" + GatewayName,
		"--instance=" + instance,
		"--controller=" + s.GRPCAddr,
		"--ca=" + filepath.Join(s.CertDir(), "ca.crt"),
		"--cert=" + filepath.Join(s.CertDir(), "client.crt"),
		"--key=" + filepath.Join(s.CertDir(), "client.key"),
		"--admin-addr=" + adminAddr,
		"--listen-host=" + host,
		fmt.Sprintf("--listen-ports=%d", port),
	}, s.ProxyFlags...)
}

// StartRedis starts redis-server (bin/redis, installed by `make redis`) on RedisAddr,
// without persistence, and waits until it answers.
func (s *Stack) StartRedis(ctx context.Context) error {
	host, port, err := net.SplitHostPort(s.RedisAddr)
	if err != nil {
		return fmt.Errorf("redis address %q: %w", s.RedisAddr, err)
	}
	bin := filepath.Join(s.RedisBin, "redis-server")
	p, err := StartProcess("redis", bin, []string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no"}, nil,
		filepath.Join(s.Dir, "logs", "redis.log"))
	if err != nil {
		return fmt.Errorf("starting %s (run `make redis`): %w", bin, err)
	}
	s.Redis = p
	return waitUntil(ctx, 30*time.Second, p, "redis-server to answer", func() bool {
		d := net.Dialer{Timeout: 100 * time.Millisecond}
		c, err := d.DialContext(ctx, "tcp", s.RedisAddr)
		if err != nil {
			return false
		}
		defer c.Close()
		_, _ = c.Write([]byte("PING\r\n"))
		buf := make([]byte, 7)
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, _ := c.Read(buf)
		return string(buf[:n]) == "+PONG\r\n"
	})
}
