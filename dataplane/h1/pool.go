package h1

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// conn is one connection to an upstream address, in the pool or in use by one
// exchange at a time.
type conn struct {
	t    *Transport
	addr string
	nc   net.Conn // the TLS connection, or the TCP one
	raw  syscall.RawConn
	rd   reader // what arrives on nc
	// reused is set once the connection has carried an exchange.
	reused bool
	// closed is set once nc is closed, by the exchange or by its context's end.
	closed atomic.Bool
	idleAt time.Time
	timer  *time.Timer // closes the connection once idle too long
	// head is the buffer an answer's head is gathered in, kept from one exchange to
	// the next.
	head []byte
	// peek is the buffer and result of the liveness check.
	peekBuf  [1]byte
	peekN    int
	peekErr  error
	peekFunc func(fd uintptr) bool
}

// getConn returns a pooled connection to addr that is still open, or a new one.
func (t *Transport) getConn(ctx context.Context, addr, host string) (*conn, error) {
	for {
		c := t.takeIdle(addr)
		if c == nil {
			return t.dial(ctx, addr, host)
		}
		if c.alive() {
			return c, nil
		}
		c.close()
	}
}

// takeIdle pops the most recently used idle connection to addr.
func (t *Transport) takeIdle(addr string) *conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	cs := t.idle[addr]
	for len(cs) > 0 {
		c := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		cs = cs[:len(cs)-1]
		t.nIdle--
		if time.Since(c.idleAt) < t.cfg.IdleConnTimeout {
			t.idle[addr] = cs
			return c
		}
		go c.close()
	}
	t.idle[addr] = cs
	return nil
}

// putIdle returns c to the pool, or closes it when the pool is full.
func (t *Transport) putIdle(c *conn) {
	c.rd.release()
	c.reused = true
	c.idleAt = time.Now()
	t.mu.Lock()
	cs := t.idle[c.addr]
	if len(cs) >= t.cfg.MaxIdleConnsPerHost || t.nIdle >= t.cfg.MaxIdleConns {
		t.mu.Unlock()
		c.close()
		return
	}
	t.idle[c.addr] = append(cs, c)
	t.nIdle++
	if c.timer == nil {
		c.timer = time.AfterFunc(t.cfg.IdleConnTimeout, c.idleExpired)
	} else {
		c.timer.Reset(t.cfg.IdleConnTimeout)
	}
	t.mu.Unlock()
}

// idleExpired closes c if it is still in the pool.
func (c *conn) idleExpired() {
	t := c.t
	t.mu.Lock()
	cs := t.idle[c.addr]
	found := false
	for i, x := range cs {
		if x == c {
			t.idle[c.addr] = append(cs[:i], cs[i+1:]...)
			cs[len(cs)-1] = nil
			t.nIdle--
			found = true
			break
		}
	}
	t.mu.Unlock()
	if found {
		c.close()
	}
}

// dial opens a connection to addr, TLS when the transport is.
func (t *Transport) dial(ctx context.Context, addr, host string) (*conn, error) {
	nc, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &conn{t: t, addr: addr, nc: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	c.peekFunc = c.peekFD
	if t.cfg.TLS != nil {
		if c.nc, err = t.handshake(ctx, nc, host); err != nil {
			_ = nc.Close()
			return nil, err
		}
	}
	c.rd.src = c.nc
	return c, nil
}

// handshake runs the TLS handshake on nc, bounded by the handshake timeout.
func (t *Transport) handshake(ctx context.Context, nc net.Conn, host string) (net.Conn, error) {
	tc := tls.Client(nc, t.tlsFor(host))
	hctx, cancel := context.WithTimeout(ctx, t.cfg.TLSHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		if hctx.Err() != nil && ctx.Err() == nil {
			return nil, timeoutError{"TLS handshake timeout"}
		}
		return nil, fmt.Errorf("TLS handshake with %s: %w", host, err)
	}
	return tc, nil
}

// tlsFor is the TLS configuration for host: the transport's, with host as the server
// name when it names none.
func (t *Transport) tlsFor(host string) *tls.Config {
	if t.cfg.TLS.ServerName != "" {
		return t.cfg.TLS
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cfg, ok := t.tlsByHost[host]
	if !ok {
		cfg = t.cfg.TLS.Clone()
		cfg.ServerName = host
		t.tlsByHost[host] = cfg
	}
	return cfg
}

// close closes the connection once.
func (c *conn) close() {
	if c.closed.CompareAndSwap(false, true) {
		if c.timer != nil {
			c.timer.Stop()
		}
		_ = c.nc.Close()
	}
}

// abort closes the connection when the exchange's context ends.
func (c *conn) abort() { c.close() }

// alive reports whether an idle connection may carry a request: nothing buffered and
// nothing arrived on it (an idle connection receives nothing but its close).
func (c *conn) alive() bool {
	if c.closed.Load() || c.rd.buffered() > 0 || c.rd.err != nil {
		return false
	}
	if c.raw == nil {
		return true
	}
	c.peekN, c.peekErr = 0, nil
	if err := c.raw.Read(c.peekFunc); err != nil {
		return false
	}
	return peekAlive(c.peekN, c.peekErr)
}

// timeoutError is a timeout of this client; it reports Timeout, as net's do.
type timeoutError struct{ what string }

func (e timeoutError) Error() string   { return "h1: " + e.what }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }
