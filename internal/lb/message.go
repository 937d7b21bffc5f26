package lb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits on message heads, as ALB has them: 16 KB for the request line or one header
// line, 64 KB for the whole head.
const (
	maxLine = 16 << 10
	maxHead = 64 << 10
)

// Errors of message parsing. A parse error answers 400 to a client and 502 from a target.
var (
	errHeadTooLarge = errors.New("message head too large")
	errMalformed    = errors.New("malformed message")
)

// hkind classifies a header field by name, once at parse time, so that forwarding
// needs no string comparison.
type hkind uint8

const (
	hOther hkind = iota
	hHost
	hContentLength
	hTransferEncoding
	hConnection
	hKeepAlive
	hProxy // Proxy-*: hop-by-hop
	hTE
	hTrailer
	hUpgrade
	hXFF
	hXFProto
	hXFPort
	hTraceID
	hExpect
	hCookie
	hDrop // named by a Connection header: hop-by-hop
)

// header is one header field; name and value are slices of the message's head buffer.
type header struct {
	name    []byte
	value   []byte
	kind    hkind
	invalid bool // the name has characters other than letters, digits and hyphens
}

// body framings.
const (
	bodyNone    = iota // no body
	bodyFixed          // Content-Length bytes
	bodyChunked        // chunked transfer coding
	bodyEOF            // until the connection closes (responses only)
)

// message holds what requests and responses share: the head and its framing.
type message struct {
	head          []byte
	headers       []header
	minor         int   // HTTP/1.minor
	contentLength int64 // -1 when absent
	chunked       bool
	close         bool // the sender will close, or asks to close, after this message
	keepAlive     bool // Connection: keep-alive (for HTTP/1.0)
	connUpgrade   bool // Connection: upgrade
	hasUpgrade    bool // an Upgrade header is present
	both          bool // both Content-Length and Transfer-Encoding: chunked (the length is ignored)
}

// request is a parsed client request head. Its slices point into head.
type request struct {
	message
	method    []byte
	target    []byte // the request target as sent
	path      []byte
	query     []byte // without '?'
	host      []byte // Host (or the absolute-form authority) without port
	hostPort  []byte // Host as sent
	absolute  bool   // the target was in absolute form
	expect100 bool
	// scratch is reused per connection for rule matching: once qdecoded (which
	// parse clears), it holds the URL-decoded keys and values of the query string,
	// and qends the end offset of each key and of each value, in order.
	scratch  []byte
	qends    []int
	qdecoded bool
}

// response is a parsed target response head.
type response struct {
	message
	status int
	reason []byte
}

// readHead reads one message head, up to and including the empty line, appending it
// to buf[:0]. It returns io.EOF when the connection closed before any byte.
func readHead(br *bufio.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	lineStart := 0
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)+len(frag) > maxHead {
			return buf, errHeadTooLarge
		}
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull {
			if len(buf)-lineStart > maxLine {
				return buf, errHeadTooLarge
			}
			continue
		}
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
		line := buf[lineStart:]
		if len(line) > maxLine {
			return buf, errHeadTooLarge
		}
		if len(line) == 1 || (len(line) == 2 && line[0] == '\r') {
			if lineStart == 0 {
				// Ignore empty lines before the start line (RFC 9112, 2.2).
				buf = buf[:0]
				continue
			}
			return buf, nil
		}
		lineStart = len(buf)
	}
}

// nextLine splits the first line off b, without its CRLF or LF.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// tchar marks the characters of an HTTP token (RFC 9110, 5.6.2).
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

// parseHeaders parses header lines into m.headers and derives the framing fields.
func (m *message) parseHeaders(b []byte) error {
	m.headers = m.headers[:0]
	m.contentLength = -1
	m.chunked, m.close, m.keepAlive, m.connUpgrade, m.hasUpgrade = false, false, false, false, false
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return fmt.Errorf("%w: obsolete line folding", errMalformed)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return fmt.Errorf("%w: header line without a name", errMalformed)
		}
		name := line[:colon]
		invalid := false
		for _, c := range name {
			if !tchar[c] {
				return fmt.Errorf("%w: invalid header name %q", errMalformed, name)
			}
			if !(c == '-' || ('0' <= c && c <= '9') || ('a' <= c|0x20 && c|0x20 <= 'z')) {
				invalid = true
			}
		}
		value := trimOWS(line[colon+1:])
		for _, c := range value {
			if c == '\r' || c == 0 {
				return fmt.Errorf("%w: invalid character in header %q", errMalformed, name)
			}
		}
		h := header{name: name, value: value, kind: classify(name), invalid: invalid}
		switch h.kind {
		case hContentLength:
			n, ok := parseContentLength(value)
			if !ok || (m.contentLength >= 0 && m.contentLength != n) {
				return fmt.Errorf("%w: invalid Content-Length %q", errMalformed, value)
			}
			m.contentLength = n
		case hTransferEncoding:
			if !equalFold(value, "chunked") || m.chunked {
				return fmt.Errorf("%w: unsupported Transfer-Encoding %q", errMalformed, value)
			}
			m.chunked = true
		case hUpgrade:
			m.hasUpgrade = true
		}
		m.headers = append(m.headers, h)
	}
	m.both = m.chunked && m.contentLength >= 0
	if m.both {
		m.contentLength = -1
	}
	m.parseConnection()
	return nil
}

// parseConnection applies the Connection header's options and marks the headers it
// names as hop-by-hop.
func (m *message) parseConnection() {
	for i := range m.headers {
		if m.headers[i].kind != hConnection {
			continue
		}
		v := m.headers[i].value
		for len(v) > 0 {
			var tok []byte
			if j := bytes.IndexByte(v, ','); j >= 0 {
				tok, v = trimOWS(v[:j]), v[j+1:]
			} else {
				tok, v = trimOWS(v), nil
			}
			switch {
			case len(tok) == 0:
			case equalFold(tok, "close"):
				m.close = true
			case equalFold(tok, "keep-alive"):
				m.keepAlive = true
			case equalFold(tok, "upgrade"):
				m.connUpgrade = true
			default:
				for k := range m.headers {
					if m.headers[k].kind == hOther && bytes.EqualFold(m.headers[k].name, tok) {
						m.headers[k].kind = hDrop
					}
				}
			}
		}
	}
	if m.minor == 0 && !m.keepAlive {
		m.close = true
	}
}

// parseRequest parses a request head read by readHead.
func (r *request) parse(head []byte) error {
	r.head = head
	r.method, r.minor = nil, 1
	line, rest := nextLine(head)
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return fmt.Errorf("%w: bad request line", errMalformed)
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		return fmt.Errorf("%w: bad request line", errMalformed)
	}
	sp2 += sp1 + 1
	r.method, r.target = line[:sp1], line[sp1+1:sp2]
	if !isToken(r.method) {
		return fmt.Errorf("%w: bad method", errMalformed)
	}
	minor, ok := parseVersion(line[sp2+1:])
	if !ok {
		return fmt.Errorf("%w: unsupported version %q", errMalformed, line[sp2+1:])
	}
	r.minor = minor
	for _, c := range r.target {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("%w: bad request target", errMalformed)
		}
	}
	if err := r.parseHeaders(rest); err != nil {
		return err
	}
	r.expect100, r.absolute, r.qdecoded = false, false, false
	r.host, r.hostPort = nil, nil
	hosts := 0
	for i := range r.headers {
		h := &r.headers[i]
		switch h.kind {
		case hHost:
			hosts++
			r.hostPort = h.value
		case hExpect:
			r.expect100 = equalFold(h.value, "100-continue")
		}
	}
	if hosts > 1 || (hosts == 0 && r.minor == 1) {
		return fmt.Errorf("%w: need exactly one Host header", errMalformed)
	}
	if err := r.splitTarget(); err != nil {
		return err
	}
	r.host = stripPort(r.hostPort)
	return nil
}

// splitTarget splits the request target into path and query; the absolute form
// ("http://host/path") also gives the host.
func (r *request) splitTarget() error {
	t := r.target
	switch {
	case len(t) > 0 && t[0] == '/':
	case len(t) == 1 && t[0] == '*':
	case hasPrefixFold(t, "http://") || hasPrefixFold(t, "https://"):
		rest := t[bytes.IndexByte(t, ':')+3:]
		end := bytes.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return fmt.Errorf("%w: absolute target without host", errMalformed)
		}
		r.hostPort = rest[:end]
		r.absolute = true
		t = rest[end:]
	default:
		return fmt.Errorf("%w: unsupported request target", errMalformed)
	}
	r.path, r.query = t, nil
	if i := bytes.IndexByte(t, '?'); i >= 0 {
		r.path, r.query = t[:i], t[i+1:]
	}
	if len(r.path) == 0 {
		r.path = slash
	}
	return nil
}

var slash = []byte("/")

// parse parses a response head read by readHead.
func (r *response) parse(head []byte) error {
	r.head = head
	line, rest := nextLine(head)
	if len(line) < 12 {
		return fmt.Errorf("%w: bad status line", errMalformed)
	}
	minor, ok := parseVersion(line[:8])
	if !ok || line[8] != ' ' {
		return fmt.Errorf("%w: bad status line", errMalformed)
	}
	r.minor = minor
	s := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: bad status code", errMalformed)
		}
		s = s*10 + int(c-'0')
	}
	if s < 100 {
		return fmt.Errorf("%w: bad status code", errMalformed)
	}
	r.status = s
	r.reason = nil
	if len(line) > 12 {
		if line[12] != ' ' {
			return fmt.Errorf("%w: bad status line", errMalformed)
		}
		r.reason = line[13:]
	}
	return r.parseHeaders(rest)
}

// framing tells how the response body is delimited, given the request method.
func (r *response) framing(head bool) int {
	switch {
	case head || r.status < 200 || r.status == 204 || r.status == 304:
		return bodyNone
	case r.chunked:
		return bodyChunked
	case r.contentLength >= 0:
		return bodyFixed
	default:
		return bodyEOF
	}
}

// framing tells how the request body is delimited.
func (r *request) framing() int {
	switch {
	case r.chunked:
		return bodyChunked
	case r.contentLength > 0:
		return bodyFixed
	default:
		return bodyNone
	}
}

func parseVersion(b []byte) (int, bool) {
	if len(b) != 8 || string(b[:7]) != "HTTP/1." {
		return 0, false
	}
	switch b[7] {
	case '0':
		return 0, true
	case '1':
		return 1, true
	}
	return 0, false
}

func parseContentLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// stripPort removes a ":port" suffix from a Host value, keeping IPv6 brackets.
func stripPort(h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
		return h
	}
	if i := bytes.LastIndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}

// lower folds an ASCII letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(b []byte, s string) bool {
	return len(b) >= len(s) && equalFold(b[:len(s)], s)
}

// classify returns the kind of a header name.
func classify(name []byte) hkind {
	switch len(name) {
	case 2:
		if equalFold(name, "te") {
			return hTE
		}
	case 4:
		if equalFold(name, "host") {
			return hHost
		}
	case 6:
		switch {
		case equalFold(name, "cookie"):
			return hCookie
		case equalFold(name, "expect"):
			return hExpect
		}
	case 7:
		switch {
		case equalFold(name, "trailer"):
			return hTrailer
		case equalFold(name, "upgrade"):
			return hUpgrade
		}
	case 10:
		switch {
		case equalFold(name, "connection"):
			return hConnection
		case equalFold(name, "keep-alive"):
			return hKeepAlive
		}
	case 14:
		if equalFold(name, "content-length") {
			return hContentLength
		}
	case 15:
		switch {
		case equalFold(name, "x-forwarded-for"):
			return hXFF
		case equalFold(name, "x-amzn-trace-id"):
			return hTraceID
		}
	case 16:
		if equalFold(name, "x-forwarded-port") {
			return hXFPort
		}
	case 17:
		switch {
		case equalFold(name, "transfer-encoding"):
			return hTransferEncoding
		case equalFold(name, "x-forwarded-proto"):
			return hXFProto
		}
	}
	if hasPrefixFold(name, "proxy-") {
		return hProxy
	}
	return hOther
}
