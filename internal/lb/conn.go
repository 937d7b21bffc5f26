package lb

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// clientConn is one client connection; one goroutine serves its requests in turn.
// Its buffers are reused from request to request, so a request allocates nothing.
type clientConn struct {
	l      *listener
	lb     *lbState // counted at accept
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	req    request
	resp   response
	client netip.Addr
	// clientIP is the client address as X-Forwarded-For shows it; clientIPPort adds
	// the port (routing.http.xff_client_port.enabled).
	clientIP     []byte
	clientIPPort []byte
	idle         atomic.Bool // waiting for a request
	buf          []byte      // scratch for header lines
	line         []byte      // more scratch
	tlsInfo      []byte      // X-Amzn-Tls-Version and X-Amzn-Tls-Cipher-Suite lines
	bodyRead     bool        // the request body was consumed
}

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

func newClientConn(l *listener, conn net.Conn, lb *lbState) *clientConn {
	c := &clientConn{l: l, lb: lb, conn: conn}
	c.br = readerPool.Get().(*bufio.Reader)
	c.br.Reset(conn)
	c.bw = writerPool.Get().(*bufio.Writer)
	c.bw.Reset(conn)
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		c.client = ap.Addr().Unmap()
		c.clientIP = c.client.AppendTo(nil)
		c.clientIPPort = netip.AddrPortFrom(c.client, ap.Port()).AppendTo(nil)
	}
	lb.m.newConns.Add(1)
	lb.m.active.Add(1)
	return c
}

// serve reads requests until the connection closes, times out or fails.
func (c *clientConn) serve() {
	defer c.finish()
	if tc, ok := c.conn.(*tls.Conn); ok {
		cfg := c.l.cfg.Load()
		tc.SetDeadline(time.Now().Add(cfg.idle))
		if err := tc.Handshake(); err != nil {
			c.l.p.log.Debug("tls handshake failed", "listener_arn", c.l.arn, "error", err)
			return
		}
		st := tc.ConnectionState()
		c.tlsInfo = []byte("X-Amzn-Tls-Version: " + tlsVersionName(st.Version) + "\r\nX-Amzn-Tls-Cipher-Suite: " + tls.CipherSuiteName(st.CipherSuite) + "\r\n")
	}
	for {
		cfg := c.l.cfg.Load()
		if c.br.Buffered() == 0 {
			c.idle.Store(true)
			if c.l.isClosing() {
				return
			}
			c.conn.SetReadDeadline(time.Now().Add(cfg.idle))
		}
		head, err := readHead(c.br, c.req.head)
		c.idle.Store(false)
		c.req.head = head
		if err != nil {
			switch {
			case errors.Is(err, errHeadTooLarge):
				c.respondError(cfg, 400, true)
			case len(head) > 0 && isTimeout(err):
				c.respondError(cfg, 408, true) // a request head started but never finished
			}
			return
		}
		// The configuration loaded before the wait may be seconds old on a keep-alive
		// connection: the request is served with the one in force when it arrived, so
		// that it follows the current weights and targets (a stale one could send it to
		// a target group that has since been emptied: a 503).
		cfg = c.l.cfg.Load()
		if err := c.req.parse(head); err != nil {
			c.l.p.log.Debug("bad request", "listener_arn", c.l.arn, "error", err)
			c.respondError(cfg, 400, true)
			return
		}
		if !c.handle(cfg) {
			return
		}
	}
}

func (c *clientConn) finish() {
	c.conn.Close()
	c.lb.m.active.Add(-1)
	c.l.forget(c)
	c.br.Reset(nil)
	readerPool.Put(c.br)
	c.bw.Reset(nil)
	writerPool.Put(c.bw)
}

// handle serves one parsed request and reports whether the connection stays open.
func (c *clientConn) handle(cfg *listenerConfig) bool {
	now := time.Now()
	c.bodyRead = false
	r := &c.req
	if r.framing() != bodyNone {
		c.conn.SetReadDeadline(now.Add(cfg.idle))
	}
	if r.both && cfg.lbc.DesyncMitigationMode == "strictest" {
		c.respondError(cfg, 400, true)
		return false
	}
	ru := matchRules(cfg.rules, r, c.client)
	if ru == nil {
		return c.respondError(cfg, 503, false)
	}
	a := ru.action
	switch a.kind {
	case actFixed:
		cfg.lb.m.fixed.Add(1)
		cfg.lb.m.elbCode(a.status)
		keep := c.skipBody()
		c.respond(cfg, a.head, nil, a.body, !keep)
		return keep
	case actRedirect:
		cfg.lb.m.redirect.Add(1)
		cfg.lb.m.elbCode(a.status)
		keep := c.skipBody()
		c.buf = append(c.buf[:0], "Location: "...)
		c.buf = a.redirect.location(c.buf, r, cfg)
		c.buf = append(c.buf, "\r\n"...)
		page := redirectPages[a.status]
		c.respond(cfg, page[0], c.buf, page[1], !keep)
		return keep
	}
	return c.forward(cfg, a.forward, now)
}

// redirectPages are the bodies ALB sends with its redirects.
var redirectPages = func() map[int][2][]byte {
	m := map[int][2][]byte{}
	for _, code := range []int{301, 302} {
		title := strconv.Itoa(code) + " " + reasonPhrase(code)
		body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n</body>\r\n</html>\r\n"
		m[code] = [2][]byte{[]byte(statusLine(code) + "Server: awselb/2.0\r\nContent-Type: text/html\r\n"), []byte(body)}
	}
	return m
}()

// skipBody reads and drops a small request body before a response the load balancer
// makes itself; it reports false (close the connection) when the body is too large or
// unreadable.
func (c *clientConn) skipBody() bool {
	r := &c.req
	if r.close {
		return false
	}
	if c.bodyRead {
		return true
	}
	switch r.framing() {
	case bodyNone:
		return true
	case bodyFixed:
		if r.contentLength > 256<<10 {
			return false
		}
		_, err := c.br.Discard(int(r.contentLength))
		return err == nil
	}
	return false
}

// respondError sends one of ALB's error pages and counts it; it reports whether the
// connection stays open.
func (c *clientConn) respondError(cfg *listenerConfig, code int, closeConn bool) bool {
	cfg.lb.m.elbCode(code)
	if !closeConn {
		closeConn = !c.skipBody()
	}
	page, ok := errorPages[code]
	if !ok {
		page = errorPages[500]
	}
	c.respond(cfg, page[0], nil, page[1], closeConn)
	return !closeConn
}

// respond writes a response made by the load balancer: head holds the status line
// and fixed headers, extra more header lines.
func (c *clientConn) respond(cfg *listenerConfig, head, extra, body []byte, closeConn bool) {
	now := time.Now()
	c.conn.SetWriteDeadline(now.Add(cfg.idle))
	w := c.bw
	w.Write(head)
	w.Write(extra)
	b := appendDate(c.line[:0], now)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n"...)
	switch {
	case closeConn:
		b = append(b, "Connection: close\r\n"...)
	case c.req.minor == 0:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	b = append(b, "\r\n"...)
	w.Write(b)
	c.line = b
	if string(c.req.method) != "HEAD" {
		w.Write(body)
	}
	w.Flush()
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return "unknown"
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isEOF reports whether err means the peer closed before sending anything.
func isEOF(err error) bool {
	return err == io.EOF || errors.Is(err, net.ErrClosed) || isReset(err)
}
