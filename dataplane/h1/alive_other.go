//go:build !unix

package h1

import "errors"

// peekFD cannot look at the socket here: every idle connection is taken as alive.
func (c *conn) peekFD(uintptr) bool {
	c.peekErr = errNoPeek
	return true
}

var errNoPeek = errors.New("no peek")

func peekAlive(_ int, err error) bool { return errors.Is(err, errNoPeek) }
