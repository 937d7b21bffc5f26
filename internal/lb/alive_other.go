//go:build !unix

package lb

import "net"

// alive assumes an idle connection is open where a non-blocking peek is unavailable.
func alive(net.Conn) bool { return true }
