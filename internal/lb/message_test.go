package lb

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name, raw       string
		method, path, q string
		host            string
		cl              int64
		chunked, close  bool
		upgrade         bool
	}{
		{name: "simple", raw: "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", method: "GET", path: "/a/b", q: "x=1", host: "example.com", cl: -1},
		{name: "leading empty line", raw: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", method: "GET", path: "/", host: "h", cl: -1},
		{name: "bare LF", raw: "GET / HTTP/1.1\nHost: h\n\n", method: "GET", path: "/", host: "h", cl: -1},
		{name: "http/1.0 closes", raw: "GET / HTTP/1.0\r\n\r\n", method: "GET", path: "/", cl: -1, close: true},
		{name: "http/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", method: "GET", path: "/", cl: -1},
		{name: "connection close", raw: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", method: "POST", path: "/p", host: "h", cl: 5, close: true},
		{name: "chunked", raw: "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", method: "POST", path: "/p", host: "h", cl: -1, chunked: true},
		{name: "absolute form", raw: "GET http://Other.example:81/x?y HTTP/1.1\r\nHost: ignored\r\n\r\n", method: "GET", path: "/x", q: "y", host: "Other.example", cl: -1},
		{name: "upgrade", raw: "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", method: "GET", path: "/ws", host: "h", cl: -1, upgrade: true},
		{name: "ipv6 host", raw: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", method: "GET", path: "/", host: "[::1]", cl: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parsedRequest(t, tt.raw)
			if string(r.method) != tt.method || string(r.path) != tt.path || string(r.query) != tt.q || string(r.host) != tt.host {
				t.Errorf("got method %q path %q query %q host %q", r.method, r.path, r.query, r.host)
			}
			if r.contentLength != tt.cl || r.chunked != tt.chunked || r.close != tt.close || r.isUpgrade() != tt.upgrade {
				t.Errorf("got cl %d chunked %v close %v upgrade %v", r.contentLength, r.chunked, r.close, r.isUpgrade())
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"no host", "GET / HTTP/1.1\r\n\r\n"},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{"bad version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"},
		{"no target", "GET HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"},
		{"folding", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"},
		{"conflicting lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
		{"bad length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"},
		{"gzip coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
		{"authority form", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"control in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"},
	}
	for _, tt := range tests {
		var r request
		head, err := readHead(bufio.NewReader(strings.NewReader(tt.raw)), nil)
		if err == nil {
			err = r.parse(head)
		}
		if !errors.Is(err, errMalformed) {
			t.Errorf("%s: got %v, want a malformed-message error", tt.name, err)
		}
	}
}

func TestReadHeadLimits(t *testing.T) {
	long := "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", maxLine+10) + "\r\n\r\n"
	if _, err := readHead(bufio.NewReaderSize(strings.NewReader(long), 4096), nil); !errors.Is(err, errHeadTooLarge) {
		t.Errorf("long header line: got %v", err)
	}
	var many strings.Builder
	many.WriteString("GET / HTTP/1.1\r\nHost: a\r\n")
	for many.Len() < maxHead+100 {
		many.WriteString("X-Some-Header: " + strings.Repeat("v", 100) + "\r\n")
	}
	many.WriteString("\r\n")
	if _, err := readHead(bufio.NewReaderSize(strings.NewReader(many.String()), 4096), nil); !errors.Is(err, errHeadTooLarge) {
		t.Errorf("large head: got %v", err)
	}
	if _, err := readHead(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost: a\r\n")), nil); err == nil {
		t.Error("truncated head parsed without error")
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		raw     string
		status  int
		reason  string
		framing int
		head    bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", 200, "OK", bodyFixed, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", 200, "OK", bodyNone, true},
		{"HTTP/1.1 204 No Content\r\n\r\n", 204, "No Content", bodyNone, false},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, "Not Modified", bodyNone, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, "OK", bodyChunked, false},
		{"HTTP/1.0 200 OK\r\n\r\n", 200, "OK", bodyEOF, false},
		{"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 404, "", bodyFixed, false},
	}
	for _, tt := range tests {
		var r response
		head, err := readHead(bufio.NewReader(strings.NewReader(tt.raw)), nil)
		if err == nil {
			err = r.parse(head)
		}
		if err != nil {
			t.Errorf("%q: %v", tt.raw, err)
			continue
		}
		if r.status != tt.status || string(r.reason) != tt.reason || r.framing(tt.head) != tt.framing {
			t.Errorf("%q: got %d %q framing %d", tt.raw, r.status, r.reason, r.framing(tt.head))
		}
	}
	for _, bad := range []string{"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n"} {
		var r response
		head, _ := readHead(bufio.NewReader(strings.NewReader(bad)), nil)
		if err := r.parse(head); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

func TestConnectionHeaderDropsNamedHeaders(t *testing.T) {
	r := parsedRequest(t, "GET / HTTP/1.1\r\nHost: a\r\nX-Hop: 1\r\nX-Keep: 2\r\nConnection: x-hop\r\n\r\n")
	for _, h := range r.headers {
		switch string(h.name) {
		case "X-Hop":
			if h.kind != hDrop {
				t.Error("X-Hop named by Connection is not dropped")
			}
		case "X-Keep":
			if h.kind != hOther {
				t.Error("X-Keep is dropped")
			}
		}
	}
}

// FuzzParseRequest checks that no input crashes the request parser and that what it
// accepts is consistent.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x?y=1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://h/p HTTP/1.0\r\nConnection: keep-alive, x\r\nx: y\r\n\r\n",
		"\n\nGET * HTTP/1.1\nHost: [::1]:9\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r request
		head, err := readHead(bufio.NewReaderSize(bytes.NewReader(data), 16), nil)
		if err != nil {
			return
		}
		if err := r.parse(head); err != nil {
			return
		}
		if len(r.path) == 0 {
			t.Fatal("accepted request without a path")
		}
		if r.chunked && r.contentLength >= 0 {
			t.Fatal("both chunked and a length")
		}
		if r.minor == 1 && r.hostPort == nil {
			t.Fatal("HTTP/1.1 request without host accepted")
		}
		for _, h := range r.headers {
			if !isToken(h.name) {
				t.Fatalf("accepted header name %q", h.name)
			}
		}
	})
}
