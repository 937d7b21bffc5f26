package lb

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// listenerConfig is a listener's compiled configuration; Apply swaps it atomically,
// so a request uses one configuration from start to end.
type listenerConfig struct {
	arn     string
	port    int // as configured
	https   bool
	tlsConf *tls.Config
	lb      *lbState
	lbc     elbv2.LoadBalancerConfig
	idle    time.Duration
	rules   []rule
	// fwd holds the X-Forwarded-Proto and X-Forwarded-Port header lines.
	fwd []byte
	// defaultHost is the Host sent for HTTP/1.0 requests that have none.
	defaultHost []byte
}

// Action kinds.
const (
	actForward = iota
	actFixed
	actRedirect
)

// action is a compiled terminal rule action.
type action struct {
	kind     int
	forward  *forwardAction
	status   int
	head     []byte // fixed-response: status line and headers, without Date and framing
	body     []byte
	redirect *redirect
}

func compileListener(l elbv2.ListenerConfig, lbc elbv2.LoadBalancerConfig, lb *lbState, groups map[string]*tgState, bind string) (*listenerConfig, error) {
	lc := &listenerConfig{
		arn:   l.ARN,
		port:  l.Port,
		https: l.Protocol == "HTTPS",
		lb:    lb,
		lbc:   lbc,
		idle:  lbc.IdleTimeout,
	}
	if lc.idle <= 0 {
		lc.idle = 60 * time.Second
	}
	proto := "http"
	if lc.https {
		proto = "https"
		cert, err := tls.X509KeyPair(l.CertificatePEM, l.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("listener certificate: %w", err)
		}
		lc.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	} else if l.Protocol != "" && l.Protocol != "HTTP" {
		return nil, fmt.Errorf("unsupported listener protocol %q", l.Protocol)
	}
	lc.fwd = []byte("X-Forwarded-Proto: " + proto + "\r\nX-Forwarded-Port: " + strconv.Itoa(l.Port) + "\r\n")
	lc.defaultHost = []byte(net.JoinHostPort(bind, strconv.Itoa(l.Port)))
	if len(l.Rules) == 0 {
		return nil, fmt.Errorf("listener has no default rule")
	}
	for i, r := range l.Rules {
		var conds []condition
		for _, c := range r.Conditions {
			cc, err := compileCondition(c)
			if err != nil {
				return nil, fmt.Errorf("rule %d (%s): %w", i, r.ARN, err)
			}
			conds = append(conds, cc)
		}
		a, err := compileAction(r.Actions, groups)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i, r.ARN, err)
		}
		lc.rules = append(lc.rules, newRule(r.ARN, conds, a))
	}
	return lc, nil
}

// compileAction compiles a rule's terminal (last) action.
func compileAction(actions []elbv2.ActionConfig, groups map[string]*tgState) (*action, error) {
	if len(actions) == 0 {
		return nil, fmt.Errorf("rule has no action")
	}
	last := actions[0]
	for _, a := range actions[1:] {
		if a.Order >= last.Order {
			last = a
		}
	}
	switch last.Type {
	case elbv2.ActionForward:
		fa, err := newForwardAction(last.Forward, groups)
		if err != nil {
			return nil, err
		}
		return &action{kind: actForward, forward: fa}, nil
	case elbv2.ActionFixedResponse:
		fr := last.FixedResponse
		if fr == nil || fr.StatusCode < 200 || fr.StatusCode > 599 {
			return nil, fmt.Errorf("fixed-response action: invalid status code")
		}
		ct := fr.ContentType
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		} else if !strings.Contains(ct, "charset") {
			ct += "; charset=utf-8"
		}
		head := statusLine(fr.StatusCode) + "Server: awselb/2.0\r\nContent-Type: " + ct + "\r\n"
		return &action{kind: actFixed, status: fr.StatusCode, head: []byte(head), body: []byte(fr.MessageBody)}, nil
	case elbv2.ActionRedirect:
		rd, err := compileRedirect(last.Redirect)
		if err != nil {
			return nil, err
		}
		return &action{kind: actRedirect, status: rd.status, redirect: rd}, nil
	}
	return nil, fmt.Errorf("unsupported action type %q", last.Type)
}

func statusLine(code int) string {
	return "HTTP/1.1 " + strconv.Itoa(code) + " " + reasonPhrase(code) + "\r\n"
}

// reasonPhrase is the reason phrase ALB uses for its own responses.
func reasonPhrase(code int) string {
	switch code {
	case 503:
		return "Service Temporarily Unavailable"
	case 504:
		return "Gateway Time-out"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}

// errorPages holds ALB's own error responses by status: the status line and headers
// (without Date and Connection) and the small HTML body.
var errorPages = func() map[int][2][]byte {
	m := map[int][2][]byte{}
	for _, code := range []int{400, 403, 404, 405, 408, 413, 414, 431, 500, 501, 502, 503, 504, 505} {
		title := strconv.Itoa(code) + " " + reasonPhrase(code)
		body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n</body>\r\n</html>\r\n"
		head := statusLine(code) + "Server: awselb/2.0\r\nContent-Type: text/html\r\n"
		m[code] = [2][]byte{[]byte(head), []byte(body)}
	}
	return m
}()

// Redirect template variables.
const (
	varNone = iota
	varProtocol
	varHost
	varPort
	varPath
	varQuery
)

// segment is a literal or a #{variable} of a redirect component.
type segment struct {
	lit string
	v   int
}

// redirect is a compiled redirect action.
type redirect struct {
	status                            int
	protocol, host, port, path, query []segment
}

func compileRedirect(rc *elbv2.RedirectConfig) (*redirect, error) {
	if rc == nil {
		return nil, fmt.Errorf("redirect action without configuration")
	}
	rd := &redirect{status: rc.StatusCode}
	if rd.status != 301 && rd.status != 302 {
		return nil, fmt.Errorf("redirect action: status code must be HTTP_301 or HTTP_302")
	}
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	var err error
	if rd.protocol, err = parseTemplate(def(rc.Protocol, "#{protocol}")); err != nil {
		return nil, err
	}
	if rd.host, err = parseTemplate(def(rc.Host, "#{host}")); err != nil {
		return nil, err
	}
	if rd.port, err = parseTemplate(def(rc.Port, "#{port}")); err != nil {
		return nil, err
	}
	if rd.path, err = parseTemplate(def(rc.Path, "/#{path}")); err != nil {
		return nil, err
	}
	if rd.query, err = parseTemplate(def(rc.Query, "#{query}")); err != nil {
		return nil, err
	}
	return rd, nil
}

func parseTemplate(s string) ([]segment, error) {
	var out []segment
	for len(s) > 0 {
		i := strings.Index(s, "#{")
		if i < 0 {
			out = append(out, segment{lit: s})
			break
		}
		if i > 0 {
			out = append(out, segment{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("redirect action: unterminated variable in %q", s)
		}
		name := s[i+2 : i+j]
		v := map[string]int{"protocol": varProtocol, "host": varHost, "port": varPort, "path": varPath, "query": varQuery}[name]
		if v == varNone {
			return nil, fmt.Errorf("redirect action: unknown variable #{%s}", name)
		}
		out = append(out, segment{v: v})
		s = s[i+j+1:]
	}
	return out, nil
}

// expand appends a template with the request's values to dst.
func expand(dst []byte, tpl []segment, r *request, lc *listenerConfig) []byte {
	for _, sg := range tpl {
		switch sg.v {
		case varNone:
			dst = append(dst, sg.lit...)
		case varProtocol:
			if lc.https {
				dst = append(dst, "https"...)
			} else {
				dst = append(dst, "http"...)
			}
		case varHost:
			dst = append(dst, r.host...)
		case varPort:
			dst = strconv.AppendInt(dst, int64(lc.port), 10)
		case varPath:
			p := r.path
			if len(p) > 0 && p[0] == '/' {
				p = p[1:]
			}
			dst = append(dst, p...)
		case varQuery:
			dst = append(dst, r.query...)
		}
	}
	return dst
}

// location appends the redirect's Location URL to dst.
func (rd *redirect) location(dst []byte, r *request, lc *listenerConfig) []byte {
	start := len(dst)
	dst = expand(dst, rd.protocol, r, lc)
	for i := start; i < len(dst); i++ {
		dst[i] = lower(dst[i])
	}
	dst = append(dst, "://"...)
	dst = expand(dst, rd.host, r, lc)
	dst = append(dst, ':')
	dst = expand(dst, rd.port, r, lc)
	pathStart := len(dst)
	dst = expand(dst, rd.path, r, lc)
	if len(dst) == pathStart || dst[pathStart] != '/' {
		dst = append(dst, 0)
		copy(dst[pathStart+1:], dst[pathStart:])
		dst[pathStart] = '/'
	}
	qStart := len(dst)
	dst = append(dst, '?')
	dst = expand(dst, rd.query, r, lc)
	if len(dst) == qStart+1 {
		dst = dst[:qStart]
	}
	return dst
}

// dateCache holds the current Date header line, refreshed once a second.
var dateCache atomic.Pointer[dateLine]

type dateLine struct {
	sec  int64
	line []byte
}

// appendDate appends a "Date: ..." header line for now.
func appendDate(dst []byte, now time.Time) []byte {
	sec := now.Unix()
	d := dateCache.Load()
	if d == nil || d.sec != sec {
		line := now.UTC().AppendFormat([]byte("Date: "), http.TimeFormat)
		line = append(line, "\r\n"...)
		d = &dateLine{sec: sec, line: line}
		dateCache.Store(d)
	}
	return append(dst, d.line...)
}
