package lb

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// echoHeaders answers with the request line and headers the target received.
func echoHeaders(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s %s %s\nHost: %s\n", r.Method, r.RequestURI, r.Proto, r.Host)
	r.Header.Write(w)
}

func TestForwardedHeaders(t *testing.T) {
	u := newUpstream(t, "A", echoHeaders)
	p := newTestProxy(t, Options{})
	s := snapshot(forwardTo(testTGA), nil, group(testTGA, u))
	port := freePort(t)
	s.Listeners[0].Port = port
	addr := apply(t, p, s)
	trace := regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)

	_, body := rawRequest(t, addr, "GET /p?q=1 HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-Proto: spoofed\r\n"+
		"X-Forwarded-Port: 1\r\nConnection: X-Secret, keep-alive\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n"+
		"Proxy-Authorization: x\r\nTE: trailers\r\nX-Custom: kept\r\n\r\n")
	h := parseEcho(t, body)
	checks := map[string]string{
		"line":                "GET /p?q=1 HTTP/1.1",
		"Host":                "app.example",
		"X-Forwarded-For":     "127.0.0.1",
		"X-Forwarded-Proto":   "http",
		"X-Forwarded-Port":    strconv.Itoa(port),
		"X-Custom":            "kept",
		"X-Secret":            "",
		"Keep-Alive":          "",
		"Proxy-Authorization": "",
		"Te":                  "",
	}
	for k, want := range checks {
		if h[k] != want {
			t.Errorf("%s = %q, want %q", k, h[k], want)
		}
	}
	if !trace.MatchString(h["X-Amzn-Trace-Id"]) {
		t.Errorf("X-Amzn-Trace-Id = %q", h["X-Amzn-Trace-Id"])
	}
	if now, _ := strconv.ParseInt(h["X-Amzn-Trace-Id"][7:15], 16, 64); time.Since(time.Unix(now, 0)).Abs() > time.Minute {
		t.Errorf("trace id time %d is not now", now)
	}

	// X-Forwarded-For is appended to; an existing trace id gets a Self field.
	_, body = rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.7\r\n"+
		"X-Amzn-Trace-Id: Root=1-67891233-abcdef012345678912345678;CalledFrom=app\r\n\r\n")
	h = parseEcho(t, body)
	if h["X-Forwarded-For"] != "203.0.113.7, 127.0.0.1" {
		t.Errorf("appended X-Forwarded-For = %q", h["X-Forwarded-For"])
	}
	self := regexp.MustCompile(`^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678;CalledFrom=app$`)
	if !self.MatchString(h["X-Amzn-Trace-Id"]) {
		t.Errorf("trace id with Root = %q", h["X-Amzn-Trace-Id"])
	}
	// An existing Self is updated in place.
	_, body = rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: a\r\nX-Amzn-Trace-Id: Self=1-00000000-000000000000000000000000;Root=1-67891233-abcdef012345678912345678\r\n\r\n")
	if got := parseEcho(t, body)["X-Amzn-Trace-Id"]; strings.Contains(got, "Self=1-00000000") || !strings.HasPrefix(got, "Self=1-") || !strings.HasSuffix(got, ";Root=1-67891233-abcdef012345678912345678") {
		t.Errorf("updated Self: %q", got)
	}
}

func TestXForwardedForModes(t *testing.T) {
	u := newUpstream(t, "A", echoHeaders)
	tests := []struct {
		mode       string
		clientPort bool
		want       *regexp.Regexp
	}{
		{"append", false, regexp.MustCompile(`^1\.2\.3\.4, 127\.0\.0\.1$`)},
		{"append", true, regexp.MustCompile(`^1\.2\.3\.4, 127\.0\.0\.1:\d+$`)},
		{"preserve", false, regexp.MustCompile(`^1\.2\.3\.4$`)},
		{"remove", false, regexp.MustCompile(`^$`)},
	}
	for _, tt := range tests {
		p := newTestProxy(t, Options{})
		s := snapshot(forwardTo(testTGA), nil, group(testTGA, u))
		lb := s.LoadBalancers[testLB]
		lb.XFFHeaderProcessing, lb.XFFClientPort = tt.mode, tt.clientPort
		s.LoadBalancers[testLB] = lb
		addr := apply(t, p, s)
		_, body := rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n")
		if got := parseEcho(t, body)["X-Forwarded-For"]; !tt.want.MatchString(got) {
			t.Errorf("mode %s (port %v): X-Forwarded-For %q", tt.mode, tt.clientPort, got)
		}
		p.Close()
	}
}

// parseEcho reads echoHeaders' output into a map ("line" is the request line).
func parseEcho(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	out["line"] = lines[0]
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(strings.TrimRight(l, "\r"), ": ")
		out[k] = v
	}
	return out
}

func TestKeepAliveReusesTargetConnections(t *testing.T) {
	u := newUpstream(t, "A", nil)
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	c := client()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				resp, err := c.Get(url(addr, "/"))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if hits, accepts := u.hits.Load(), u.accepts.Load(); hits != 400 || accepts > 8 {
		t.Errorf("target served %d requests on %d connections; want 400 on at most 8", hits, accepts)
	}
}

func TestStreamingResponse(t *testing.T) {
	release := make(chan struct{})
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first chunk\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, strings.Repeat("x", 1<<20))
	})
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	resp, err := client().Get(url(addr, "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first chunk\n" {
		t.Fatalf("first bytes %q, %v", line, err)
	}
	// The client has the first bytes while the target is still writing.
	close(release)
	n, err := io.Copy(io.Discard, br)
	if err != nil || n != 1<<20 {
		t.Errorf("rest of body: %d bytes, %v", n, err)
	}
	if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("transfer encoding %v", resp.TransferEncoding)
	}
}

func TestStreamingRequestBody(t *testing.T) {
	got := make(chan string, 1)
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReader(r.Body)
		line, _ := br.ReadString('\n')
		got <- line
		n, _ := io.Copy(io.Discard, br)
		fmt.Fprintf(w, "%d", int64(len(line))+n)
	})
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	pr, pw := io.Pipe()
	done := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", url(addr, "/upload"), pr) // chunked: unknown length
		resp, err := client().Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(b)
	}()
	io.WriteString(pw, "header line\n")
	select {
	case line := <-got:
		if line != "header line\n" {
			t.Errorf("target read %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the target did not see the start of the body before its end")
	}
	pw.Write(bytes.Repeat([]byte("y"), 300000))
	pw.Close()
	if n := <-done; n != strconv.Itoa(12+300000) {
		t.Errorf("target counted %s bytes", n)
	}
}

func TestRequestBodies(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s|%d|%s|%s", r.Method, len(b), b, r.Trailer.Get("X-Sum"))
	})
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	tests := []struct{ name, raw, want string }{
		{"content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST|5|hello|"},
		{"chunked with trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 42\r\n\r\n", "POST|5|abcde|42"},
		{"empty post", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST|0||"},
		{"expect continue", "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok", "PUT|2|ok|"},
	}
	for _, tt := range tests {
		resp, body := rawRequest(t, addr, tt.raw)
		if resp.StatusCode != 200 || body != tt.want {
			t.Errorf("%s: got %d %q, want %q", tt.name, resp.StatusCode, body, tt.want)
		}
	}
}

func TestResponseFraming(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/close":
			// An HTTP/1.0-style response delimited by closing the connection.
			conn, bw, _ := w.(http.Hijacker).Hijack()
			bw.WriteString("HTTP/1.0 200 OK\r\nX-Old: yes\r\n\r\nuntil close")
			bw.Flush()
			conn.Close()
		case "/nocontent":
			w.WriteHeader(204)
		default:
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "fixed")
		}
	})
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	roundTrip := func(raw string, head bool) (*http.Response, string) {
		t.Helper()
		io.WriteString(conn, raw)
		req, _ := http.NewRequest("GET", "/", nil)
		if head {
			req.Method = "HEAD"
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	// Several exchanges on one client connection: the framing must stay in sync.
	if resp, body := roundTrip("GET /close HTTP/1.1\r\nHost: a\r\n\r\n", false); body != "until close" || resp.Header.Get("X-Old") != "yes" || resp.Close {
		t.Errorf("close-delimited: %q close=%v", body, resp.Close)
	}
	if resp, body := roundTrip("HEAD /fixed HTTP/1.1\r\nHost: a\r\n\r\n", true); body != "" || resp.ContentLength != 5 {
		t.Errorf("HEAD: %q length %d", body, resp.ContentLength)
	}
	if resp, _ := roundTrip("GET /nocontent HTTP/1.1\r\nHost: a\r\n\r\n", false); resp.StatusCode != 204 {
		t.Errorf("204: %d", resp.StatusCode)
	}
	if _, body := roundTrip("GET /fixed HTTP/1.1\r\nHost: a\r\n\r\n", false); body != "fixed" {
		t.Errorf("fixed: %q", body)
	}
	// An HTTP/1.0 client gets a close-delimited body and a closed connection.
	resp, body := rawRequest(t, addr, "GET /close HTTP/1.0\r\n\r\n")
	if body != "until close" || !resp.Close {
		t.Errorf("HTTP/1.0: %q close=%v", body, resp.Close)
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !strings.EqualFold(r.Header.Get("Connection"), "upgrade") {
			http.Error(w, "not an upgrade", 400)
			return
		}
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, bw, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
		bw.Flush()
		// Echo raw bytes, upper-cased, until the client closes.
		buf := make([]byte, 1024)
		for {
			n, err := bw.Reader.Read(buf)
			if n > 0 {
				conn.Write(bytes.ToUpper(buf[:n]))
			}
			if err != nil {
				return
			}
		}
	})
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" || resp.Header.Get("Upgrade") != "websocket" {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	for _, msg := range []string{"hello", "world"} {
		io.WriteString(conn, msg)
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != strings.ToUpper(msg) {
			t.Fatalf("echo of %q: %q, %v", msg, buf, err)
		}
	}
}

func TestGatewayErrors(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/reset":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		case "/garbage":
			conn, bw, _ := w.(http.Hijacker).Hijack()
			bw.WriteString("NOT HTTP AT ALL\r\n\r\n")
			bw.Flush()
			conn.Close()
		case "/slow":
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}
	})
	refused := freePort(t)
	empty := group(testTGB)
	dead := group(testTGA)
	dead.ARN = testTGA + "dead"
	dead.Targets = []elbv2.TargetConfig{{ID: "127.0.0.1", Port: refused, Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(refused))}}
	rules := []elbv2.RuleConfig{
		{ARN: "r1", Priority: 1, Conditions: []elbv2.ConditionConfig{{Field: "path-pattern", Values: []string{"/empty"}}}, Actions: forwardTo(testTGB)},
		{ARN: "r2", Priority: 2, Conditions: []elbv2.ConditionConfig{{Field: "path-pattern", Values: []string{"/refused"}}}, Actions: forwardTo(dead.ARN)},
	}
	s := snapshot(forwardTo(testTGA), rules, group(testTGA, u), empty, dead)
	lb := s.LoadBalancers[testLB]
	lb.IdleTimeout = 300 * time.Millisecond
	s.LoadBalancers[testLB] = lb
	p := newTestProxy(t, Options{})
	addr := apply(t, p, s)
	tests := []struct {
		path  string
		code  int
		title string
	}{
		{"/empty", 503, "503 Service Temporarily Unavailable"},
		{"/refused", 502, "502 Bad Gateway"},
		{"/reset", 502, "502 Bad Gateway"},
		{"/garbage", 502, "502 Bad Gateway"},
		{"/slow", 504, "504 Gateway Time-out"},
	}
	for _, tt := range tests {
		resp, body := get(t, client(), url(addr, tt.path))
		if resp.StatusCode != tt.code || !strings.Contains(body, "<center><h1>"+tt.title+"</h1></center>") || resp.Header.Get("Server") != "awselb/2.0" {
			t.Errorf("%s: got %d %q", tt.path, resp.StatusCode, body)
		}
	}
	m := metricMap(p.Metrics())
	if m["HTTPCode_ELB_502_Count"] != 3 || m["HTTPCode_ELB_503_Count"] != 1 || m["HTTPCode_ELB_504_Count"] != 1 || m["HTTPCode_ELB_5XX_Count"] != 5 {
		t.Errorf("ELB error counters: %v", m)
	}
}

func TestBadRequestAnswers400(t *testing.T) {
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(fixed(200, "ok"), nil))
	for _, raw := range []string{
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nBad Header: 1\r\n\r\n",
	} {
		resp, body := rawRequest(t, addr, raw)
		if resp.StatusCode != 400 || !strings.Contains(body, "400 Bad Request") || !resp.Close {
			t.Errorf("%q: got %d close=%v", raw, resp.StatusCode, resp.Close)
		}
	}
}

func TestClientIdleTimeout(t *testing.T) {
	p := newTestProxy(t, Options{})
	s := snapshot(fixed(200, "ok"), nil)
	lb := s.LoadBalancers[testLB]
	lb.IdleTimeout = 200 * time.Millisecond
	s.LoadBalancers[testLB] = lb
	addr := apply(t, p, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	// The load balancer closes the idle connection: the read ends with EOF, not with
	// the test's own deadline.
	if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read on idle connection: %v, want EOF", err)
	}
}

func TestPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	p := newTestProxy(t, Options{})
	s := snapshot(fixed(200, "ok"), nil)
	other := s.Listeners[0]
	other.ARN = testL + "-other"
	s.Listeners[0].Port = port
	s.Listeners = append(s.Listeners, other)
	errs := p.Apply(s)
	want := fmt.Sprintf("port %d on 127.0.0.1: address already in use", port)
	if err := errs[testL]; err == nil || err.Error() != want {
		t.Errorf("Apply error %v, want %q", err, want)
	}
	addr, ok := p.Addr(other.ARN)
	if !ok {
		t.Fatal("the other listener was not bound")
	}
	if resp, body := get(t, client(), url(addr, "/")); resp.StatusCode != 200 || body != "ok" {
		t.Errorf("other listener: %d %q", resp.StatusCode, body)
	}
}

func TestPortOffset(t *testing.T) {
	base := freePort(t) - 80
	p := newTestProxy(t, Options{PortOffset: base})
	s := snapshot(fixed(200, "ok"), nil)
	s.Listeners[0].Port = 80
	addr := apply(t, p, s)
	if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(80+base)); addr != want {
		t.Errorf("bound %s, want %s", addr, want)
	}
}

func TestMetricsCount(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
	})
	p := newTestProxy(t, Options{})
	rules := []elbv2.RuleConfig{{ARN: "r", Priority: 1, Conditions: []elbv2.ConditionConfig{{Field: "path-pattern", Values: []string{"/fixed"}}}, Actions: fixed(404, "no")}}
	addr := apply(t, p, snapshot(forwardTo(testTGA), rules, group(testTGA, u)))
	c := client()
	for _, path := range []string{"/200", "/201", "/302", "/404", "/500", "/503", "/fixed"} {
		get(t, c, url(addr, path))
	}
	c.CloseIdleConnections()
	lbDims := "app/web/50dc6c495c0c9188"
	tgDims := "targetgroup/a/73e2d6bc24d8a067"
	want := map[string]float64{
		"RequestCount|" + lbDims:                             6,
		"RequestCount|" + lbDims + "|" + tgDims:              6,
		"HTTPCode_Target_2XX_Count|" + lbDims:                2,
		"HTTPCode_Target_3XX_Count|" + lbDims:                1,
		"HTTPCode_Target_4XX_Count|" + lbDims:                1,
		"HTTPCode_Target_5XX_Count|" + lbDims + "|" + tgDims: 2,
		"HTTPCode_ELB_4XX_Count|" + lbDims:                   1,
		"HTTP_Fixed_Response_Count|" + lbDims:                1,
		"NewConnectionCount|" + lbDims:                       1,
		"HealthyHostCount|" + lbDims + "|" + tgDims:          1,
	}
	got := map[string]float64{}
	for _, m := range p.Metrics() {
		key := m.Name + "|" + m.Dimensions["LoadBalancer"]
		if tg := m.Dimensions["TargetGroup"]; tg != "" {
			key += "|" + tg
		}
		got[key] = m.Value
		if m.Name == "TargetResponseTime" && m.SampleCount != 6 {
			t.Errorf("TargetResponseTime count %v (%v), want 6", m.SampleCount, m.Dimensions)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	waitFor(t, "active connections to drop to 0", func() bool {
		for _, m := range p.Metrics() {
			if m.Name == "ActiveConnectionCount" {
				return m.Value == 0
			}
		}
		return false
	})
}

// metricMap sums metrics by name over load-balancer-only dimensions.
func metricMap(ms []Metric) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		if m.Dimensions["TargetGroup"] == "" {
			out[m.Name] += m.Value
		}
	}
	return out
}
