package lb

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// updateGroup applies a target group's configuration: it adds new targets, updates
// registration and draining, removes targets no longer listed, and starts or stops
// health checks. Health of targets that stay is kept. p.mu is held.
func (p *Proxy) updateGroup(st *tgState, tc elbv2.TargetGroupConfig, used bool) {
	matcher, err := parseMatcher(tc.Matcher)
	if err != nil {
		p.log.Warn("health check matcher ignored", "target_group_arn", tc.ARN, "error", err)
		matcher = []codeRange{{200, 200}}
	}
	cfg := &tgConfig{
		c:       tc,
		used:    used,
		matcher: matcher,
		lor:     tc.Algorithm == "least_outstanding_requests",
	}
	if tc.Protocol == "HTTPS" {
		cfg.tls = &tls.Config{InsecureSkipVerify: true} // ALB does not verify target certificates
	}
	type checker struct {
		t    *target
		stop chan struct{}
	}
	var starts []checker
	st.mu.Lock()
	seen := map[string]bool{}
	for _, tgt := range tc.Targets {
		addr := tgt.Address
		if addr == "" {
			addr = net.JoinHostPort(tgt.ID, strconv.Itoa(tgt.Port))
		}
		if seen[addr] {
			continue
		}
		seen[addr] = true
		t := st.targets[addr]
		if t == nil {
			t = &target{tg: st, id: tgt.ID, port: tgt.Port, addr: addr, cookie: token(tc.ARN + "|" + addr)}
			t.state.Store(stInitial)
			st.targets[addr] = t
		}
		wasDraining := !t.deregAt.IsZero()
		reregistered := !t.registeredAt.IsZero() && !tgt.RegisteredAt.Equal(t.registeredAt)
		t.id, t.port = tgt.ID, tgt.Port
		t.registeredAt, t.deregAt = tgt.RegisteredAt, tgt.DeregisteredAt
		draining := !t.deregAt.IsZero()
		if wasDraining && !draining {
			reregistered = true
			t.reopen()
		}
		if stop := p.setHealthChecking(t, cfg, used && !draining, reregistered); stop != nil {
			starts = append(starts, checker{t, stop})
		}
		cfg.all = append(cfg.all, t)
		if !draining {
			cfg.active = append(cfg.active, t)
		}
	}
	for addr, t := range st.targets {
		if !seen[addr] {
			p.stopHealth(t)
			t.closeIdle(true)
			delete(st.targets, addr)
		}
	}
	st.mu.Unlock()
	st.cfg.Store(cfg)
	// Checkers start once the configuration they read is in place.
	for _, c := range starts {
		p.wg.Add(1)
		go p.healthLoop(c.t, c.stop)
	}
}

// removeGroup stops a target group that left the snapshot. p.mu is held.
func (p *Proxy) removeGroup(st *tgState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for addr, t := range st.targets {
		p.stopHealth(t)
		t.closeIdle(true)
		delete(st.targets, addr)
	}
}

// setHealthChecking sets a target's health state for its group's configuration and
// stops its health checker when it must not run. reset starts health over
// (re-registration). It returns the stop channel of a checker the caller must start.
func (p *Proxy) setHealthChecking(t *target, cfg *tgConfig, active, reset bool) chan struct{} {
	t.hmu.Lock()
	defer t.hmu.Unlock()
	switch {
	case !active:
		p.stopHealthLocked(t)
		if !cfg.used {
			t.state.Store(stUnused)
		}
		return nil
	case !cfg.c.HealthCheckEnabled:
		p.stopHealthLocked(t)
		t.state.Store(stUnavailable)
		if t.healthySince.Load() == 0 {
			t.healthySince.Store(p.now().UnixNano())
		}
		return nil
	}
	if s := t.state.Load(); reset || s == stUnused || s == stUnavailable {
		t.state.Store(stInitial)
		t.successes, t.failures = 0, 0
		t.reason, t.desc = "", ""
		t.healthySince.Store(0)
		p.stopHealthLocked(t)
	}
	if t.hcStop != nil {
		return nil
	}
	t.hcStop = make(chan struct{})
	return t.hcStop
}

func (p *Proxy) stopHealth(t *target) {
	t.hmu.Lock()
	p.stopHealthLocked(t)
	t.hmu.Unlock()
}

func (p *Proxy) stopHealthLocked(t *target) {
	if t.hcStop != nil {
		close(t.hcStop)
		t.hcStop = nil
	}
}

// healthLoop checks a target right away and then every interval until stopped.
func (p *Proxy) healthLoop(t *target, stop chan struct{}) {
	defer p.wg.Done()
	for {
		cfg := t.tg.cfg.Load()
		ok, code, err := check(t, cfg)
		t.record(p, cfg, stop, ok, code, err)
		interval := cfg.c.HealthCheckInterval
		if interval <= 0 {
			interval = 30 * time.Second
		}
		timer := time.NewTimer(interval)
		select {
		case <-stop:
			timer.Stop()
			return
		case <-p.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// errTimeout marks a health check that timed out.
var errTimeout = errors.New("request timed out")

// check sends one health check: GET HealthCheckPath on the target (or on
// HealthCheckPort), success when the status code matches the matcher.
func check(t *target, cfg *tgConfig) (ok bool, code int, err error) {
	c := cfg.c
	addr := t.addr
	if c.HealthCheckPort != "" && c.HealthCheckPort != "traffic-port" {
		host, _, _ := net.SplitHostPort(t.addr)
		addr = net.JoinHostPort(host, c.HealthCheckPort)
	}
	timeout := c.HealthCheckTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	deadline := time.Now().Add(timeout)
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		if ne, isNet := err.(net.Error); isNet && ne.Timeout() {
			return false, 0, errTimeout
		}
		return false, 0, err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if c.HealthCheckProtocol == "HTTPS" {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
		conn = tc
	}
	path := c.HealthCheckPath
	if path == "" {
		path = "/"
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return false, 0, healthErr(err)
	}
	head, err := readHead(bufio.NewReaderSize(conn, 4096), nil)
	if err != nil {
		return false, 0, healthErr(err)
	}
	var resp response
	if err := resp.parse(head); err != nil {
		return false, 0, err
	}
	return cfg.matches(resp.status), resp.status, nil
}

func healthErr(err error) error {
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return errTimeout
	}
	return err
}

// record applies a health check result: one success takes an initial target to
// healthy; HealthyThreshold consecutive successes take an unhealthy one back;
// UnhealthyThreshold consecutive failures make a target unhealthy.
func (t *target) record(p *Proxy, cfg *tgConfig, stop chan struct{}, ok bool, code int, err error) {
	t.hmu.Lock()
	defer t.hmu.Unlock()
	if t.hcStop != stop {
		return // stopped or restarted meanwhile
	}
	healthyN, unhealthyN := cfg.c.HealthyThreshold, cfg.c.UnhealthyThreshold
	if healthyN <= 0 {
		healthyN = 5
	}
	if unhealthyN <= 0 {
		unhealthyN = 2
	}
	prev := t.state.Load()
	if ok {
		t.failures = 0
		t.successes++
		if prev == stInitial || (prev == stUnhealthy && t.successes >= healthyN) {
			t.state.Store(stHealthy)
			t.reason, t.desc = "", ""
			t.healthySince.Store(p.now().UnixNano())
		}
	} else {
		t.successes = 0
		t.failures++
		switch {
		case err == errTimeout:
			t.reason, t.desc = elbv2.ReasonTimeout, "Request timed out"
		case err != nil:
			t.reason, t.desc = elbv2.ReasonFailedHealthChecks, "Health checks failed"
		default:
			t.reason, t.desc = elbv2.ReasonResponseCodeMismatch, fmt.Sprintf("Health checks failed with these codes: [%d]", code)
		}
		if prev != stUnhealthy && t.failures >= unhealthyN {
			t.state.Store(stUnhealthy)
			t.healthySince.Store(0)
		}
	}
	if now := t.state.Load(); now != prev {
		p.log.Info("target health changed", "target_group_arn", t.tg.arn, "target", t.addr,
			"state", stateName(now), "reason", t.reason)
	}
}

func stateName(s int32) string {
	switch s {
	case stHealthy:
		return elbv2.StateHealthy
	case stUnhealthy:
		return elbv2.StateUnhealthy
	case stUnused:
		return elbv2.StateUnused
	case stUnavailable:
		return elbv2.StateUnavail
	default:
		return elbv2.StateInitial
	}
}

// observe reports a target as DescribeTargetHealth shows it. tg.mu is held.
func (t *target) observe(cfg *tgConfig, now time.Time) elbv2.TargetObservation {
	o := elbv2.TargetObservation{ID: t.id, Port: t.port, InFlight: int(t.inFlight.Load())}
	if !t.deregAt.IsZero() {
		o.State = elbv2.StateDraining
		o.Reason = elbv2.ReasonDeregistrationInProgress
		o.Description = "Target deregistration is in progress"
		o.Drained = o.InFlight == 0 || now.Sub(t.deregAt) >= cfg.c.DeregistrationDelay
		return o
	}
	if !cfg.used {
		o.State = elbv2.StateUnused
		o.Reason = elbv2.ReasonNotInUse
		o.Description = "Target group is not configured to receive traffic from the load balancer"
		return o
	}
	s := t.state.Load()
	o.State = stateName(s)
	t.hmu.Lock()
	defer t.hmu.Unlock()
	switch s {
	case stInitial:
		o.Reason = elbv2.ReasonInitialHealthChecking
		o.Description = "Initial health checking in progress"
	case stUnhealthy:
		o.Reason, o.Description = t.reason, t.desc
	case stUnavailable:
		o.Reason = elbv2.ReasonHealthCheckDisabled
		o.Description = "Health checks disabled"
	}
	return o
}
