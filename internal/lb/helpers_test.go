package lb

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

const (
	testLB  = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
	testL   = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
	testTGA = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/a/73e2d6bc24d8a067"
	testTGB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/b/83e2d6bc24d8a068"
)

// upstream is a real HTTP server standing for a target. It answers with its name and
// counts the connections it accepted.
type upstream struct {
	*httptest.Server
	name    string
	accepts atomic.Int64
	hits    atomic.Int64
}

func newUpstream(t *testing.T, name string, h http.HandlerFunc, configure ...func(*http.Server)) *upstream {
	t.Helper()
	u := &upstream{name: name}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }
	}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		h(w, r)
	}))
	u.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			u.accepts.Add(1)
		}
	}
	for _, f := range configure {
		f(u.Config)
	}
	u.Start()
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) addr() string { return u.Listener.Addr().String() }

func (u *upstream) target() elbv2.TargetConfig {
	host, port, _ := net.SplitHostPort(u.addr())
	p, _ := strconv.Atoi(port)
	return elbv2.TargetConfig{ID: host, Port: p, Address: u.addr(), RegisteredAt: time.Unix(1700000000, 0)}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func newTestProxy(t *testing.T, opts Options) *Proxy {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	p := New(opts)
	t.Cleanup(func() { p.Close() })
	return p
}

// group returns a target group config with health checks disabled (targets routable).
func group(arn string, ups ...*upstream) elbv2.TargetGroupConfig {
	tg := elbv2.TargetGroupConfig{
		ARN: arn, Name: "tg", Protocol: "HTTP", TargetType: "instance",
		HealthCheckPath: "/", HealthCheckPort: "traffic-port", HealthCheckProtocol: "HTTP",
		HealthCheckInterval: 30 * time.Second, HealthCheckTimeout: 5 * time.Second,
		HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200",
		DeregistrationDelay: 300 * time.Second, Algorithm: "round_robin",
	}
	for _, u := range ups {
		tg.Targets = append(tg.Targets, u.target())
	}
	return tg
}

func forwardTo(arns ...string) []elbv2.ActionConfig {
	fc := &elbv2.ForwardConfig{}
	for _, a := range arns {
		fc.TargetGroups = append(fc.TargetGroups, elbv2.WeightedTargetGroup{ARN: a, Weight: 1})
	}
	return []elbv2.ActionConfig{{Type: elbv2.ActionForward, Order: 1, Forward: fc}}
}

func fixed(code int, body string) []elbv2.ActionConfig {
	return []elbv2.ActionConfig{{Type: elbv2.ActionFixedResponse, Order: 1, FixedResponse: &elbv2.FixedResponseConfig{StatusCode: code, ContentType: "text/plain", MessageBody: body}}}
}

// snapshot returns one listener on an ephemeral port with the given rules before a
// default rule.
func snapshot(def []elbv2.ActionConfig, rules []elbv2.RuleConfig, groups ...elbv2.TargetGroupConfig) elbv2.Snapshot {
	rules = append(rules, elbv2.RuleConfig{ARN: testL + "/default", IsDefault: true, Actions: def})
	s := elbv2.Snapshot{
		Listeners:     []elbv2.ListenerConfig{{ARN: testL, LoadBalancerARN: testLB, Port: 0, Protocol: "HTTP", Rules: rules}},
		TargetGroups:  map[string]elbv2.TargetGroupConfig{},
		LoadBalancers: map[string]elbv2.LoadBalancerConfig{testLB: {ARN: testLB, Name: "web", IdleTimeout: 60 * time.Second, XFFHeaderProcessing: "append"}},
	}
	for _, g := range groups {
		s.TargetGroups[g.ARN] = g
	}
	return s
}

func apply(t *testing.T, p *Proxy, s elbv2.Snapshot) string {
	t.Helper()
	if errs := p.Apply(s); len(errs) != 0 {
		t.Fatalf("Apply: %v", errs)
	}
	addr, ok := p.Addr(s.Listeners[0].ARN)
	if !ok {
		t.Fatal("listener not bound")
	}
	return addr
}

// client returns an HTTP client that does not follow redirects.
func client() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 16},
	}
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, string(b)
}

// rawRequest sends raw bytes on a new connection and returns the parsed response.
func rawRequest(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	for err == nil && resp.StatusCode < 200 {
		resp, err = http.ReadResponse(br, nil) // skip 100 Continue
	}
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func observation(p *Proxy, tg, addr string) elbv2.TargetObservation {
	_, port, _ := net.SplitHostPort(addr)
	for _, o := range p.Observe()[tg] {
		if strconv.Itoa(o.Port) == port {
			return o
		}
	}
	return elbv2.TargetObservation{State: "missing"}
}

func url(addr, path string) string { return fmt.Sprintf("http://%s%s", addr, path) }

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
