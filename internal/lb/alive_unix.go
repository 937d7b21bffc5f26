//go:build unix

package lb

import (
	"net"
	"syscall"
)

// alive reports whether an idle connection to a target is still open: a
// non-blocking peek sees neither end of stream nor an error. Connections that are not
// plain TCP are assumed alive.
func alive(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return true
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	ok = true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK:
		case rerr != nil || n == 0:
			ok = false // closed or reset
		default:
			ok = false // unexpected bytes from an idle target
		}
		return true
	})
	return ok && err == nil
}
