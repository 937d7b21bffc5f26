package lb

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// forward proxies the request to a target chosen by the forward action and reports
// whether the client connection stays open. Status semantics are ALB's: 503 when the
// target group has no registered target, 502 when the target refuses, resets, closes
// or answers garbage, 504 when it does not answer within the idle timeout (or cannot
// be connected to within 10 seconds).
func (c *clientConn) forward(cfg *listenerConfig, fa *forwardAction, now time.Time) bool {
	r := &c.req
	p := c.l.p
	wg := fa.pick(r)
	if wg == nil {
		return c.respondError(cfg, 503, false)
	}
	st := wg.st
	g := st.cfg.Load()
	var clock time.Time
	if g.c.SlowStart > 0 || g.c.StickinessEnabled || fa.sticky {
		clock = p.now()
	}
	t := g.pick(st, r, clock.UnixNano())
	if t == nil {
		return c.respondError(cfg, 503, false)
	}
	lbm, tgm := &cfg.lb.m, &st.m
	lbm.requests.Add(1)
	tgm.requests.Add(1)
	t.requests.Add(1)
	t.inFlight.Add(1)
	defer t.inFlight.Add(-1)

	body := r.framing()
	resp := &c.resp
	var uc *upConn
	var sent time.Time
	for attempt := 0; ; attempt++ {
		var reused bool
		var err error
		uc, reused, err = t.get(g.tls)
		if err != nil {
			p.log.Debug("target connection failed", "target", t.addr, "error", err)
			code := 502
			if isTimeout(err) {
				code = 504
			}
			return c.respondError(cfg, code, false)
		}
		uc.conn.SetDeadline(now.Add(cfg.idle))
		c.writeUpstreamHead(uc.bw, cfg, r, body, now)
		if body != bodyNone {
			if r.expect100 {
				c.conn.SetWriteDeadline(now.Add(cfg.idle))
				c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
				c.bw.Flush()
			}
			s := stream{src: c.conn, dst: uc.conn, idle: cfg.idle}
			rerr, werr := copyBody(uc.bw, c.br, body, r.contentLength, body == bodyChunked, &s)
			c.bodyRead = true
			if rerr != nil {
				// The client went away or sent a broken body (ALB's 460 or 400).
				lbm.elbCode(460)
				t.discard(uc)
				p.log.Debug("client request body failed", "error", rerr)
				return false
			}
			if werr != nil {
				t.discard(uc)
				p.log.Debug("target request body failed", "target", t.addr, "error", werr)
				return c.respondError(cfg, 502, true)
			}
			// The idle timeout for the response starts once the body is sent.
			uc.conn.SetReadDeadline(time.Now().Add(cfg.idle))
		}
		sent = time.Now()
		err = uc.bw.Flush()
		if err == nil {
			resp.head, err = readHead(uc.br, resp.head)
			if err == nil {
				if err = resp.parse(resp.head); err != nil {
					t.discard(uc)
					return c.respondError(cfg, 502, false)
				}
				break
			}
		}
		t.discard(uc)
		if reused && attempt == 0 && body == bodyNone && isEOF(err) {
			continue // the target closed an idle connection: retry once on a new one
		}
		p.log.Debug("target response failed", "target", t.addr, "error", err)
		if isTimeout(err) {
			return c.respondError(cfg, 504, false)
		}
		return c.respondError(cfg, 502, false)
	}
	got := time.Now()
	rt := got.Sub(sent)
	c.conn.SetWriteDeadline(got.Add(cfg.idle))

	// Informational responses pass through; 101 switches to a tunnel.
	for resp.status < 200 && resp.status != 101 {
		if r.minor == 1 {
			c.writeClientHead(cfg, resp, bodyNone, false, false, nil, nil, nil)
			c.bw.Flush()
		}
		var err error
		if resp.head, err = readHead(uc.br, resp.head); err == nil {
			err = resp.parse(resp.head)
		}
		if err != nil {
			t.discard(uc)
			return c.respondError(cfg, 502, false)
		}
	}
	lbm.targetCode(resp.status, rt)
	tgm.targetCode(resp.status, rt)
	if resp.status == 101 {
		if !r.isUpgrade() {
			t.discard(uc)
			return c.respondError(cfg, 502, true)
		}
		c.writeClientHead(cfg, resp, bodyNone, false, false, nil, nil, nil)
		if c.bw.Flush() == nil {
			tunnel(c.conn, c.br, uc.conn, uc.br, cfg.idle)
		}
		t.discard(uc)
		return false
	}

	fr := resp.framing(string(r.method) == "HEAD")
	// An ambiguous request (both a length and chunked) is served, then the
	// connection closes, as ALB's defensive desync mitigation does.
	outChunked, closeClient := false, r.close || r.both || c.l.isClosing()
	switch fr {
	case bodyChunked:
		outChunked = r.minor == 1
		closeClient = closeClient || r.minor == 0
	case bodyEOF:
		outChunked = r.minor == 1 && !closeClient
		closeClient = closeClient || !outChunked
	}
	var tgCookie, tCookie string
	if fa.sticky && len(fa.groups) > 1 {
		tgCookie = wg.cookie
	}
	if g.c.StickinessEnabled {
		tCookie = t.cookie
	}
	c.writeClientHead(cfg, resp, fr, outChunked, closeClient, fa, g, &cookies{tg: tgCookie, t: tCookie, now: clock})
	if fr != bodyNone {
		s := stream{src: uc.conn, dst: c.conn, idle: cfg.idle}
		rerr, werr := copyBody(c.bw, uc.br, fr, resp.contentLength, outChunked, &s)
		if rerr != nil || werr != nil {
			// Headers are sent: all that is left is to cut the client connection.
			t.discard(uc)
			if rerr != nil {
				c.bw.Flush()
				p.log.Debug("target response body failed", "target", t.addr, "error", rerr)
			}
			return false
		}
	}
	if resp.close || resp.both || fr == bodyEOF {
		t.discard(uc)
	} else {
		t.put(uc)
	}
	if err := c.bw.Flush(); err != nil {
		return false
	}
	return !closeClient
}

// isUpgrade reports whether the request asks for a protocol upgrade (WebSocket).
func (r *request) isUpgrade() bool { return r.connUpgrade && r.hasUpgrade }

func writeHeader(w *bufio.Writer, name, value []byte) {
	w.Write(name)
	w.WriteString(": ")
	w.Write(value)
	w.WriteString("\r\n")
}

// writeUpstreamHead writes the request head for the target: the client's headers less
// the hop-by-hop ones, with X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id as ALB
// sets them, and the body's framing.
func (c *clientConn) writeUpstreamHead(w *bufio.Writer, cfg *listenerConfig, r *request, body int, now time.Time) {
	w.Write(r.method)
	w.WriteByte(' ')
	if r.absolute {
		w.Write(r.path)
		if len(r.query) > 0 {
			w.WriteByte('?')
			w.Write(r.query)
		}
	} else {
		w.Write(r.target)
	}
	w.WriteString(" HTTP/1.1\r\n")
	upgrade := r.isUpgrade()
	mode := cfg.lbc.XFFHeaderProcessing
	haveHost := false
	var trace []byte
	for i := range r.headers {
		h := &r.headers[i]
		switch h.kind {
		case hOther, hCookie:
			if h.invalid && cfg.lbc.DropInvalidHeaders {
				continue
			}
			writeHeader(w, h.name, h.value)
		case hHost:
			if !r.absolute {
				writeHeader(w, h.name, h.value)
				haveHost = true
			}
		case hUpgrade:
			if upgrade {
				writeHeader(w, h.name, h.value)
			}
		case hTrailer:
			if body == bodyChunked {
				writeHeader(w, h.name, h.value)
			}
		case hXFF:
			if mode == "preserve" {
				writeHeader(w, h.name, h.value)
			}
		case hTraceID:
			if trace == nil {
				trace = h.value
			}
		}
	}
	if !haveHost {
		w.WriteString("Host: ")
		if r.absolute {
			w.Write(r.hostPort)
		} else {
			w.Write(cfg.defaultHost)
		}
		w.WriteString("\r\n")
	}
	if mode == "" || mode == "append" {
		w.WriteString("X-Forwarded-For: ")
		for i := range r.headers {
			if h := &r.headers[i]; h.kind == hXFF && len(h.value) > 0 {
				w.Write(h.value)
				w.WriteString(", ")
			}
		}
		if cfg.lbc.XFFClientPort {
			w.Write(c.clientIPPort)
		} else {
			w.Write(c.clientIP)
		}
		w.WriteString("\r\n")
	}
	w.Write(cfg.fwd)
	if cfg.https && cfg.lbc.XAmznTLSVersionCipher {
		w.Write(c.tlsInfo)
	}
	c.writeTrace(w, trace, now)
	switch body {
	case bodyFixed:
		w.WriteString("Content-Length: ")
		c.line = strconv.AppendInt(c.line[:0], r.contentLength, 10)
		w.Write(c.line)
		w.WriteString("\r\n")
	case bodyChunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	default:
		if r.contentLength == 0 {
			w.WriteString("Content-Length: 0\r\n")
		}
	}
	if upgrade {
		w.WriteString("Connection: Upgrade\r\n")
	}
	w.WriteString("\r\n")
}

// writeTrace writes X-Amzn-Trace-Id: a new Root when the client sent none; with a
// Root, a Self field is inserted (or an existing Self updated), as ALB does.
func (c *clientConn) writeTrace(w *bufio.Writer, v []byte, now time.Time) {
	c.line = traceID(c.line[:0], now)
	id := c.line
	w.WriteString("X-Amzn-Trace-Id: ")
	switch {
	case v == nil:
		w.WriteString("Root=")
		w.Write(id)
	case !hasField(v, "Root"):
		w.WriteString("Root=")
		w.Write(id)
		w.WriteByte(';')
		w.Write(v)
	case hasField(v, "Self"):
		first := true
		for len(v) > 0 {
			var f []byte
			if i := bytes.IndexByte(v, ';'); i >= 0 {
				f, v = v[:i], v[i+1:]
			} else {
				f, v = v, nil
			}
			if !first {
				w.WriteByte(';')
			}
			first = false
			if bytes.HasPrefix(f, []byte("Self=")) {
				w.WriteString("Self=")
				w.Write(id)
			} else {
				w.Write(f)
			}
		}
	default:
		w.WriteString("Self=")
		w.Write(id)
		w.WriteByte(';')
		w.Write(v)
	}
	w.WriteString("\r\n")
}

// hasField reports whether a trace header has the field name=.
func hasField(v []byte, name string) bool {
	for len(v) > 0 {
		var f []byte
		if i := bytes.IndexByte(v, ';'); i >= 0 {
			f, v = v[:i], v[i+1:]
		} else {
			f, v = v, nil
		}
		f = trimOWS(f)
		if len(f) > len(name) && f[len(name)] == '=' && string(f[:len(name)]) == name {
			return true
		}
	}
	return false
}

// traceID appends "1-<8 hex epoch seconds>-<24 random hex>".
func traceID(dst []byte, now time.Time) []byte {
	var b [16]byte
	sec := uint32(now.Unix())
	b[0], b[1], b[2], b[3] = byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec)
	r1, r2 := rand.Uint64(), rand.Uint32()
	for i := range 8 {
		b[4+i] = byte(r1 >> (8 * i))
	}
	for i := range 4 {
		b[12+i] = byte(r2 >> (8 * i))
	}
	dst = append(dst, "1-"...)
	dst = hex.AppendEncode(dst, b[:4])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, b[4:])
}

// cookies are the stickiness cookies to set on a response.
type cookies struct {
	tg, t string // tokens; empty for none
	now   time.Time
}

// writeClientHead writes the response head for the client: the target's status and
// headers less the hop-by-hop ones, stickiness cookies, and the framing.
func (c *clientConn) writeClientHead(cfg *listenerConfig, resp *response, fr int, outChunked, closeClient bool, fa *forwardAction, g *tgConfig, ck *cookies) {
	w := c.bw
	w.WriteString("HTTP/1.1 ")
	w.WriteByte(byte('0' + resp.status/100%10))
	w.WriteByte(byte('0' + resp.status/10%10))
	w.WriteByte(byte('0' + resp.status%10))
	w.WriteByte(' ')
	w.Write(resp.reason)
	w.WriteString("\r\n")
	upgrade := resp.status == 101
	for i := range resp.headers {
		h := &resp.headers[i]
		switch h.kind {
		case hConnection, hKeepAlive, hProxy, hTE, hDrop:
		case hContentLength:
			if !resp.both && (fr == bodyFixed || fr == bodyNone) {
				writeHeader(w, h.name, h.value)
			}
		case hTransferEncoding:
			if fr == bodyNone && c.req.minor == 1 && !upgrade {
				writeHeader(w, h.name, h.value) // HEAD: tell what GET would do
			}
		case hTrailer:
			if outChunked {
				writeHeader(w, h.name, h.value)
			}
		case hUpgrade:
			if upgrade {
				writeHeader(w, h.name, h.value)
			}
		default:
			writeHeader(w, h.name, h.value)
		}
	}
	if ck != nil {
		https := cfg.https
		if ck.tg != "" {
			c.writeCookie(w, "AWSALBTG", ck.tg, ck.now.Add(fa.duration), false, https)
			c.writeCookie(w, "AWSALBTGCORS", ck.tg, ck.now.Add(fa.duration), true, https)
		}
		if ck.t != "" {
			c.writeCookie(w, "AWSALB", ck.t, ck.now.Add(g.c.StickinessDuration), false, https)
			c.writeCookie(w, "AWSALBCORS", ck.t, ck.now.Add(g.c.StickinessDuration), true, https)
		}
	}
	switch {
	case upgrade:
		w.WriteString("Connection: Upgrade\r\n")
	case outChunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	switch {
	case upgrade:
	case closeClient:
		w.WriteString("Connection: close\r\n")
	case c.req.minor == 0:
		w.WriteString("Connection: keep-alive\r\n")
	}
	w.WriteString("\r\n")
}

// writeCookie writes a stickiness Set-Cookie line; the CORS variant is SameSite=None
// (and Secure on HTTPS listeners).
func (c *clientConn) writeCookie(w *bufio.Writer, name, value string, expires time.Time, cors, https bool) {
	b := append(c.line[:0], "Set-Cookie: "...)
	b = append(b, name...)
	b = append(b, '=')
	b = append(b, value...)
	b = append(b, "; Expires="...)
	b = expires.UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, "; Path=/"...)
	if cors {
		b = append(b, "; SameSite=None"...)
	}
	if https {
		b = append(b, "; Secure"...)
	}
	b = append(b, "\r\n"...)
	w.Write(b)
	c.line = b
}
