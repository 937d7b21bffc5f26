package lb

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// switchable answers "/health" with the status in code (200 by default) and other
// paths with its name; "/slow" blocks until release is closed.
type switchable struct {
	*upstream
	code    atomic.Int64
	delay   atomic.Int64 // health check delay, nanoseconds
	release chan struct{}
	started chan struct{}
}

func newSwitchable(t *testing.T, name string) *switchable {
	s := &switchable{release: make(chan struct{}), started: make(chan struct{}, 16)}
	s.code.Store(200)
	s.upstream = newUpstream(t, name, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			time.Sleep(time.Duration(s.delay.Load()))
			w.WriteHeader(int(s.code.Load()))
		case "/slow":
			s.started <- struct{}{}
			<-s.release
			io.WriteString(w, name+" slow")
		default:
			io.WriteString(w, name)
		}
	})
	return s
}

// checked returns a target group with fast health checks.
func checked(arn string, ups ...*upstream) elbv2.TargetGroupConfig {
	g := group(arn, ups...)
	g.HealthCheckEnabled = true
	g.HealthCheckPath = "/health"
	g.HealthCheckInterval = 20 * time.Millisecond
	g.HealthCheckTimeout = 100 * time.Millisecond
	g.HealthyThreshold, g.UnhealthyThreshold = 3, 2
	return g
}

func TestHealthTransitions(t *testing.T) {
	a := newSwitchable(t, "A")
	p := newTestProxy(t, Options{})
	apply(t, p, snapshot(forwardTo(testTGA), nil, checked(testTGA, a.upstream)))
	state := func() elbv2.TargetObservation { return observation(p, testTGA, a.addr()) }
	waitFor(t, "initial target to pass one check", func() bool { return state().State == elbv2.StateHealthy })

	a.code.Store(500)
	waitFor(t, "unhealthy on bad codes", func() bool { return state().State == elbv2.StateUnhealthy })
	if o := state(); o.Reason != elbv2.ReasonResponseCodeMismatch || o.Description != "Health checks failed with these codes: [500]" {
		t.Errorf("unhealthy target: %+v", o)
	}
	a.code.Store(200)
	waitFor(t, "healthy again", func() bool { return state().State == elbv2.StateHealthy })
	if o := state(); o.Reason != "" || o.Description != "" {
		t.Errorf("healthy target has reason %+v", o)
	}

	a.delay.Store(int64(300 * time.Millisecond))
	waitFor(t, "unhealthy on timeouts", func() bool { return state().Reason == elbv2.ReasonTimeout })
	a.delay.Store(0)
	waitFor(t, "recovered from timeouts", func() bool { return state().State == elbv2.StateHealthy })

	// Matcher ranges.
	g := checked(testTGA, a.upstream)
	g.Matcher = "200-299,404"
	a.code.Store(404)
	apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	time.Sleep(100 * time.Millisecond)
	if o := state(); o.State != elbv2.StateHealthy {
		t.Errorf("404 with matcher 200-299,404: %+v", o)
	}
}

func TestHealthCheckOfRefusedTarget(t *testing.T) {
	port := freePort(t)
	g := checked(testTGA)
	g.Targets = []elbv2.TargetConfig{{ID: "127.0.0.1", Port: port, Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}}
	p := newTestProxy(t, Options{})
	apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	if o := p.Observe()[testTGA][0]; o.State != elbv2.StateInitial || o.Reason != elbv2.ReasonInitialHealthChecking {
		t.Errorf("new target: %+v", o)
	}
	waitFor(t, "unhealthy", func() bool { return p.Observe()[testTGA][0].State == elbv2.StateUnhealthy })
	if o := p.Observe()[testTGA][0]; o.Reason != elbv2.ReasonFailedHealthChecks {
		t.Errorf("refused target: %+v", o)
	}
}

func TestHealthStates(t *testing.T) {
	a := newUpstream(t, "A", nil)
	disabled := group(testTGA, a)
	unused := checked(testTGB, a)
	p := newTestProxy(t, Options{})
	apply(t, p, snapshot(forwardTo(testTGA), nil, disabled, unused))
	if o := p.Observe()[testTGA][0]; o.State != elbv2.StateUnavail || o.Reason != elbv2.ReasonHealthCheckDisabled {
		t.Errorf("health checks disabled: %+v", o)
	}
	if o := p.Observe()[testTGB][0]; o.State != elbv2.StateUnused || o.Reason != elbv2.ReasonNotInUse {
		t.Errorf("group without listener: %+v", o)
	}
	if _, body := get(t, client(), url(p.mustAddr(t), "/")); body != "A" {
		t.Errorf("target with health checks disabled got no traffic: %q", body)
	}
}

func (p *Proxy) mustAddr(t *testing.T) string {
	addr, ok := p.Addr(testL)
	if !ok {
		t.Fatal("listener not bound")
	}
	return addr
}

func TestRoutesOnlyToHealthyAndFailsOpen(t *testing.T) {
	a, b := newSwitchable(t, "A"), newSwitchable(t, "B")
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, checked(testTGA, a.upstream, b.upstream)))
	waitFor(t, "both healthy", func() bool {
		return observation(p, testTGA, a.addr()).State == elbv2.StateHealthy && observation(p, testTGA, b.addr()).State == elbv2.StateHealthy
	})
	b.code.Store(503)
	waitFor(t, "B unhealthy", func() bool { return observation(p, testTGA, b.addr()).State == elbv2.StateUnhealthy })
	c := client()
	for range 20 {
		if _, body := get(t, c, url(addr, "/")); body != "A" {
			t.Fatalf("request went to %q while only A is healthy", body)
		}
	}
	a.code.Store(503)
	waitFor(t, "A unhealthy", func() bool { return observation(p, testTGA, a.addr()).State == elbv2.StateUnhealthy })
	seen := map[string]int{}
	for range 20 {
		_, body := get(t, c, url(addr, "/"))
		seen[body]++
	}
	if seen["A"] == 0 || seen["B"] == 0 {
		t.Errorf("with every target unhealthy requests went to %v; want all targets (fail open)", seen)
	}
	m := map[string]float64{}
	for _, x := range p.Metrics() {
		if x.Dimensions["TargetGroup"] != "" {
			m[x.Name] = x.Value
		}
	}
	if m["UnHealthyHostCount"] != 2 || m["HealthyHostCount"] != 0 {
		t.Errorf("host counts %v", m)
	}
}

func TestDrainingFinishesInFlight(t *testing.T) {
	a, b := newSwitchable(t, "A"), newSwitchable(t, "B")
	clock := newClock()
	p := newTestProxy(t, Options{Now: clock.Now})
	g := group(testTGA, a.upstream)
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, g))

	slow := make(chan string, 1)
	go func() {
		resp, err := client().Get(url(addr, "/slow"))
		if err != nil {
			slow <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- strconv.Itoa(resp.StatusCode) + " " + string(body)
	}()
	<-a.started

	// Deregister A (it drains) and register B.
	g.Targets[0].DeregisteredAt = clock.Now()
	g.Targets = append(g.Targets, b.target())
	apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	o := observation(p, testTGA, a.addr())
	if o.State != elbv2.StateDraining || o.Reason != elbv2.ReasonDeregistrationInProgress || o.InFlight != 1 || o.Drained {
		t.Errorf("draining target with a request in flight: %+v", o)
	}
	c := client()
	for range 10 {
		if _, body := get(t, c, url(addr, "/")); body != "B" {
			t.Fatalf("new request went to %q, a draining target", body)
		}
	}
	close(a.release)
	if got := <-slow; got != "200 A slow" {
		t.Errorf("in-flight request on the draining target: %q", got)
	}
	waitFor(t, "drained once idle", func() bool { return observation(p, testTGA, a.addr()).Drained })
}

func TestDrainingDelayCutsRequests(t *testing.T) {
	a := newSwitchable(t, "A")
	t.Cleanup(func() { close(a.release) })
	clock := newClock()
	p := newTestProxy(t, Options{Now: clock.Now})
	g := group(testTGA, a.upstream)
	g.DeregistrationDelay = 30 * time.Second
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	done := make(chan error, 1)
	go func() {
		resp, err := client().Get(url(addr, "/slow"))
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	<-a.started
	g.Targets[0].DeregisteredAt = clock.Now()
	apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	if o := observation(p, testTGA, a.addr()); o.Drained {
		t.Errorf("drained before the delay with a request in flight: %+v", o)
	}
	clock.Advance(31 * time.Second)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the request on a target past its deregistration delay was not cut")
	}
	if o := observation(p, testTGA, a.addr()); !o.Drained {
		t.Errorf("not drained after the delay: %+v", o)
	}
}

func TestApplyKeepsInFlightConnectionsAndHealth(t *testing.T) {
	a := newSwitchable(t, "A")
	p := newTestProxy(t, Options{})
	s1 := snapshot(forwardTo(testTGA), nil, checked(testTGA, a.upstream))
	addr := apply(t, p, s1)
	waitFor(t, "healthy", func() bool { return observation(p, testTGA, a.addr()).State == elbv2.StateHealthy })

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-a.started

	// New rules: /new answers fixed; everything else still forwards.
	s2 := snapshot(forwardTo(testTGA), []elbv2.RuleConfig{{ARN: "new", Priority: 1,
		Conditions: []elbv2.ConditionConfig{{Field: "path-pattern", Values: []string{"/new"}}}, Actions: fixed(200, "new rule")}},
		checked(testTGA, a.upstream))
	if got := apply(t, p, s2); got != addr {
		t.Fatalf("listener rebound: %s then %s", addr, got)
	}
	if o := observation(p, testTGA, a.addr()); o.State != elbv2.StateHealthy {
		t.Errorf("health lost by Apply: %+v", o)
	}
	close(a.release)
	br := bufio.NewReader(conn)
	resp, body := readResponse(t, br)
	if resp.StatusCode != 200 || body != "A slow" {
		t.Errorf("in-flight request across Apply: %d %q", resp.StatusCode, body)
	}
	// The same client connection now sees the new rules.
	io.WriteString(conn, "GET /new HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, body := readResponse(t, br); body != "new rule" {
		t.Errorf("after Apply: %q", body)
	}
}

func TestApplyRemovesAndRebindsListeners(t *testing.T) {
	p := newTestProxy(t, Options{})
	s := snapshot(fixed(200, "one"), nil)
	addr := apply(t, p, s)
	// A port change rebinds.
	s.Listeners[0].Port = freePort(t)
	addr2 := apply(t, p, s)
	if addr2 == addr {
		t.Fatal("port change kept the old socket")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("old port still accepts connections")
	}
	// Removal closes the listener.
	s.Listeners = nil
	if errs := p.Apply(s); len(errs) != 0 {
		t.Fatal(errs)
	}
	if _, ok := p.Addr(testL); ok {
		t.Error("removed listener still has an address")
	}
	waitFor(t, "socket closed", func() bool {
		c, err := net.Dial("tcp", addr2)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
}

func TestLeastOutstandingRequests(t *testing.T) {
	a, b := newSwitchable(t, "A"), newSwitchable(t, "B")
	g := group(testTGA, a.upstream, b.upstream)
	g.Algorithm = "least_outstanding_requests"
	p := newTestProxy(t, Options{})
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	// Occupy one target with a slow request; the next requests go to the other.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := client().Get(url(addr, "/slow"))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	var busy string
	select {
	case <-a.started:
		busy = "A"
	case <-b.started:
		busy = "B"
	case <-time.After(10 * time.Second):
		t.Fatal("slow request did not start")
	}
	c := client()
	for range 10 {
		if _, body := get(t, c, url(addr, "/")); body == busy {
			t.Fatalf("request went to %s, which has a request outstanding", busy)
		}
	}
	close(a.release)
	close(b.release)
	wg.Wait()
}

func TestSlowStartRampsLinearly(t *testing.T) {
	a, b := newUpstream(t, "A", nil), newUpstream(t, "B", nil)
	clock := newClock()
	p := newTestProxy(t, Options{Now: clock.Now})
	g := group(testTGA, a)
	g.SlowStart = 100 * time.Second
	addr := apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	clock.Advance(1000 * time.Second)
	g.Targets = append(g.Targets, b.target())
	apply(t, p, snapshot(forwardTo(testTGA), nil, g))
	clock.Advance(10 * time.Second) // B is 10% into its slow start
	c := client()
	counts := map[string]int{}
	for range 1000 {
		_, body := get(t, c, url(addr, "/"))
		counts[body]++
	}
	// Round robin would give B 500; at 10% of slow start it gets about 50.
	if counts["B"] < 15 || counts["B"] > 110 {
		t.Errorf("slow start split %v, want B near 50", counts)
	}
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// readResponse reads one response from a client connection.
func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}
