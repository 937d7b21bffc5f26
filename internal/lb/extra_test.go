package lb

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// selfSigned returns a PEM certificate and key for 127.0.0.1.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wharf test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func TestHTTPSListenerAndTarget(t *testing.T) {
	// An HTTPS target: ALB does not verify its certificate.
	ts := httptest.NewTLSServer(http.HandlerFunc(echoHeaders))
	t.Cleanup(ts.Close)
	g := group(testTGA)
	g.Protocol = "HTTPS"
	host, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	g.Targets = []elbv2.TargetConfig{{ID: host, Port: atoi(port), Address: ts.Listener.Addr().String()}}

	certPEM, keyPEM := selfSigned(t)
	s := snapshot(forwardTo(testTGA), nil, g)
	s.Listeners[0].Protocol = "HTTPS"
	s.Listeners[0].CertificatePEM, s.Listeners[0].KeyPEM = certPEM, keyPEM
	lb := s.LoadBalancers[testLB]
	lb.XAmznTLSVersionCipher = true
	s.LoadBalancers[testLB] = lb
	p := newTestProxy(t, Options{})
	addr := apply(t, p, s)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + addr + "/secure")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	h := parseEcho(t, string(body))
	if resp.StatusCode != 200 || h["X-Forwarded-Proto"] != "https" || h["X-Amzn-Tls-Version"] != "TLSv1.3" || h["X-Amzn-Tls-Cipher-Suite"] == "" {
		t.Errorf("through HTTPS: %d %v", resp.StatusCode, h)
	}
	// A bad certificate is reported by Apply.
	s.Listeners[0].KeyPEM = []byte("garbage")
	if errs := p.Apply(s); errs[testL] == nil || !strings.Contains(errs[testL].Error(), "certificate") {
		t.Errorf("Apply with a bad key: %v", errs)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestRetryWhenTargetClosedIdleConnection: a target that closes idle keep-alive
// connections quickly must not cause 502s for requests without a body.
func TestRetryWhenTargetClosedIdleConnection(t *testing.T) {
	u := newUpstream(t, "A", nil, func(s *http.Server) { s.IdleTimeout = 20 * time.Millisecond })
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	c := client()
	for i := range 5 {
		resp, body := get(t, c, url(addr, "/"))
		if resp.StatusCode != 200 || body != "A" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(60 * time.Millisecond) // the target closes the pooled connection
	}
	if u.accepts.Load() < 5 {
		t.Errorf("the target accepted %d connections; it closed each idle one", u.accepts.Load())
	}
}

func TestPipelinedRequests(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) })
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\nGET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(conn)
	for _, want := range []string{"/one", "/two", "/three"} {
		if _, body := readResponse(t, br); body != want {
			t.Errorf("got %q, want %q", body, want)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("connection not closed after Connection: close: %v", err)
	}
}

func TestLargeHeadersAndHTTP10KeepAlive(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Big")[:3]+r.Proto)
	})
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, group(testTGA, u)))
	big := strings.Repeat("b", 12000)
	resp, body := rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: "+big+"\r\n\r\n")
	if resp.StatusCode != 200 || body != "bbbHTTP/1.1" {
		t.Errorf("12 KB header: %d %q", resp.StatusCode, body)
	}
	resp, _ = rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: "+strings.Repeat("b", 20000)+"\r\n\r\n")
	if resp.StatusCode != 400 {
		t.Errorf("20 KB header line: %d, want 400", resp.StatusCode)
	}
	// HTTP/1.0 with keep-alive is forwarded as HTTP/1.1 and kept alive.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for range 2 {
		io.WriteString(conn, "GET / HTTP/1.0\r\nConnection: keep-alive\r\nX-Big: xyz\r\n\r\n")
		resp, body := readResponse(t, br)
		if body != "xyzHTTP/1.1" || resp.Close {
			t.Errorf("HTTP/1.0 keep-alive: %q close=%v", body, resp.Close)
		}
	}
}

func TestDesyncMitigation(t *testing.T) {
	u := newUpstream(t, "A", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, string(b))
	})
	ambiguous := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	for _, mode := range []string{"defensive", "strictest"} {
		p := newTestProxy(t, Options{})
		s := snapshot(forwardTo(testTGA), nil, group(testTGA, u))
		lb := s.LoadBalancers[testLB]
		lb.DesyncMitigationMode = mode
		s.LoadBalancers[testLB] = lb
		addr := apply(t, p, s)
		resp, body := rawRequest(t, addr, ambiguous)
		switch mode {
		case "defensive":
			// The chunked framing wins; the connection closes afterwards.
			if resp.StatusCode != 200 || body != "hello" || !resp.Close {
				t.Errorf("%s: %d %q close=%v", mode, resp.StatusCode, body, resp.Close)
			}
		case "strictest":
			if resp.StatusCode != 400 {
				t.Errorf("%s: %d, want 400", mode, resp.StatusCode)
			}
		}
		p.Close()
	}
}

func TestStalledRequestHeadGets408(t *testing.T) {
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
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: a\r\n") // never finished
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 408 {
		t.Fatalf("stalled head: %v %v", resp, err)
	}
}

func TestUpstreamLengthAndChunkedIsReframed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				if _, err := readHead(br, nil); err != nil {
					return
				}
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
			}()
		}
	}()
	g := group(testTGA)
	g.Targets = []elbv2.TargetConfig{{ID: "127.0.0.1", Port: 1, Address: ln.Addr().String()}}
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	resp, body := rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp.StatusCode != 200 || body != "abc" || resp.ContentLength != -1 {
		t.Errorf("got %d %q length %d", resp.StatusCode, body, resp.ContentLength)
	}
}
