//go:build unix

package h1

import (
	"errors"
	"syscall"
)

// peekFD looks, without waiting or consuming, whether anything arrived on the socket.
func (c *conn) peekFD(fd uintptr) bool {
	c.peekN, _, c.peekErr = syscall.Recvfrom(int(fd), c.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return true
}

// peekAlive reads the outcome of peekFD: alive when nothing is there to read yet (a
// byte or the end of the stream, n >= 0 without error, is not).
func peekAlive(_ int, err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
}
