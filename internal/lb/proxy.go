package lb

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-dev/wharf/internal/elbv2"
)

// Options configure a Proxy.
type Options struct {
	// BindAddress is the address every listener binds (default 127.0.0.1).
	BindAddress string
	// PortOffset maps privileged ports for users who cannot bind them: a listener on
	// port P < 1024 binds P+PortOffset instead (0: no mapping). Headers and redirects
	// still use the listener's configured port.
	PortOffset int
	// Logger receives the data plane's logs (default: discarded).
	Logger *slog.Logger
	// Now is the clock of slow start, draining and cookie expiry (default time.Now).
	Now func() time.Time
}

// Proxy is the ALB data plane: it serves the listeners of the last applied snapshot.
// It implements elbv2.DataPlane. All methods are safe for concurrent use.
type Proxy struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	mu        sync.Mutex
	listeners map[string]*listener // by listener ARN
	groups    map[string]*tgState  // by target group ARN
	lbs       map[string]*lbState  // by load balancer ARN
	tgLB      map[string]string    // target group ARN → the load balancer using it
	snap      elbv2.Snapshot
	closed    bool
	stop      chan struct{}
	wg        sync.WaitGroup
}

var _ elbv2.DataPlane = (*Proxy)(nil)

// lbState is a load balancer's runtime state, kept across Apply by ARN.
type lbState struct {
	arn string
	m   counters
}

// New returns a Proxy serving nothing until Apply.
func New(opts Options) *Proxy {
	if opts.BindAddress == "" {
		opts.BindAddress = "127.0.0.1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{
		opts:      opts,
		log:       log,
		now:       opts.Now,
		listeners: map[string]*listener{},
		groups:    map[string]*tgState{},
		lbs:       map[string]*lbState{},
		tgLB:      map[string]string{},
		stop:      make(chan struct{}),
	}
	p.wg.Add(1)
	go p.janitor()
	return p
}

// Apply makes the proxy serve snap. Listeners whose port is unchanged keep their
// socket and connections; requests in flight finish on the configuration they started
// with; target health and counters survive. It returns the listeners that could not
// be served (by ARN); every other listener is applied.
func (p *Proxy) Apply(snap elbv2.Snapshot) map[string]error {
	p.mu.Lock()
	defer p.mu.Unlock()
	errs := map[string]error{}
	if p.closed {
		for _, l := range snap.Listeners {
			errs[l.ARN] = errors.New("load balancer data plane is closed")
		}
		return errs
	}

	lbs := map[string]*lbState{}
	lbFor := func(arn string) *lbState {
		if st, ok := lbs[arn]; ok {
			return st
		}
		st := p.lbs[arn]
		if st == nil {
			st = &lbState{arn: arn}
		}
		lbs[arn] = st
		return st
	}
	for arn := range snap.LoadBalancers {
		lbFor(arn)
	}
	used := map[string]bool{}
	tgLB := map[string]string{}
	for _, l := range snap.Listeners {
		lbFor(l.LoadBalancerARN)
		for _, r := range l.Rules {
			for _, a := range r.Actions {
				if a.Type == elbv2.ActionForward && a.Forward != nil {
					for _, g := range a.Forward.TargetGroups {
						used[g.ARN] = true
						tgLB[g.ARN] = l.LoadBalancerARN
					}
				}
			}
		}
	}
	p.lbs, p.tgLB = lbs, tgLB

	groups := map[string]*tgState{}
	for arn, tc := range snap.TargetGroups {
		st := p.groups[arn]
		if st == nil {
			st = &tgState{arn: arn, dim: dimension(arn), targets: map[string]*target{}}
		}
		p.updateGroup(st, tc, used[arn])
		groups[arn] = st
	}
	for arn, st := range p.groups {
		if _, ok := groups[arn]; !ok {
			p.removeGroup(st)
		}
	}
	p.groups = groups

	compiled := map[string]*listenerConfig{}
	for _, l := range snap.Listeners {
		lc, err := compileListener(l, snap.LoadBalancers[l.LoadBalancerARN], lbFor(l.LoadBalancerARN), groups, p.opts.BindAddress)
		if err != nil {
			errs[l.ARN] = err
			continue
		}
		compiled[l.ARN] = lc
	}

	// Close removed listeners and those whose port changed before binding new ones.
	want := map[string]elbv2.ListenerConfig{}
	for _, l := range snap.Listeners {
		want[l.ARN] = l
	}
	for arn, l := range p.listeners {
		if w, ok := want[arn]; !ok || w.Port != l.port {
			l.shutdown()
			delete(p.listeners, arn)
		}
	}
	for _, l := range snap.Listeners {
		lc := compiled[l.ARN]
		ln := p.listeners[l.ARN]
		if ln == nil {
			if lc == nil {
				continue
			}
			var err error
			ln, err = p.bind(l.ARN, l.Port)
			if err != nil {
				errs[l.ARN] = err
				continue
			}
			ln.cfg.Store(lc)
			p.listeners[l.ARN] = ln
			p.log.Info("listener bound", "listener_arn", l.ARN, "address", ln.addr)
			go ln.serve()
			continue
		}
		if lc != nil {
			ln.cfg.Store(lc)
		}
	}
	p.snap = snap
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// bind opens a listener's socket on the bind address.
func (p *Proxy) bind(arn string, port int) (*listener, error) {
	bound := port
	if port > 0 && port < 1024 && p.opts.PortOffset != 0 {
		bound = port + p.opts.PortOffset
	}
	addr := net.JoinHostPort(p.opts.BindAddress, strconv.Itoa(bound))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var se *os.SyscallError
		if errors.As(err, &se) {
			err = se.Err
		}
		if bound != port {
			return nil, fmt.Errorf("port %d (bound as %d) on %s: %w", port, bound, p.opts.BindAddress, err)
		}
		return nil, fmt.Errorf("port %d on %s: %w", port, p.opts.BindAddress, err)
	}
	return &listener{
		p:     p,
		arn:   arn,
		port:  port,
		addr:  ln.Addr().String(),
		ln:    ln,
		conns: map[*clientConn]struct{}{},
		done:  make(chan struct{}),
	}, nil
}

// Addr returns the address a listener is bound to.
func (p *Proxy) Addr(listenerARN string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.listeners[listenerARN]
	if !ok {
		return "", false
	}
	return l.addr, true
}

// Close stops every listener, connection and health check.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	for arn, l := range p.listeners {
		l.closeNow()
		delete(p.listeners, arn)
	}
	for _, st := range p.groups {
		p.removeGroup(st)
	}
	p.groups = map[string]*tgState{}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// listener is one bound port. Its configuration is swapped atomically by Apply.
type listener struct {
	p    *Proxy
	arn  string
	port int    // as configured
	addr string // as bound
	ln   net.Listener
	cfg  atomic.Pointer[listenerConfig]

	mu      sync.Mutex
	conns   map[*clientConn]struct{}
	closing atomic.Bool
	done    chan struct{}
}

// serve accepts connections until the socket closes.
func (l *listener) serve() {
	defer close(l.done)
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and keep serving.
			l.p.log.Warn("accept failed", "listener_arn", l.arn, "error", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		cfg := l.cfg.Load()
		if cfg.https {
			conn = tls.Server(conn, cfg.tlsConf)
		}
		c := newClientConn(l, conn, cfg.lb)
		l.mu.Lock()
		if l.closing.Load() {
			l.mu.Unlock()
			conn.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		go c.serve()
	}
}

// forget removes a finished connection.
func (l *listener) forget(c *clientConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// shutdown closes the socket and the idle connections; busy connections close after
// their current request.
func (l *listener) shutdown() {
	l.ln.Close()
	l.mu.Lock()
	l.closing.Store(true)
	for c := range l.conns {
		if c.idle.Load() {
			c.conn.Close()
		}
	}
	l.mu.Unlock()
}

// closeNow closes the socket and every connection.
func (l *listener) closeNow() {
	l.ln.Close()
	l.mu.Lock()
	l.closing.Store(true)
	for c := range l.conns {
		c.conn.Close()
	}
	l.mu.Unlock()
}

func (l *listener) isClosing() bool { return l.closing.Load() }

// Observe reports every target of every target group of the last snapshot.
func (p *Proxy) Observe() map[string][]elbv2.TargetObservation {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := map[string][]elbv2.TargetObservation{}
	for arn, st := range p.groups {
		cfg := st.cfg.Load()
		obs := make([]elbv2.TargetObservation, 0, len(cfg.all))
		st.mu.Lock()
		for _, t := range cfg.all {
			obs = append(obs, t.observe(cfg, now))
		}
		st.mu.Unlock()
		out[arn] = obs
	}
	return out
}

// janitor ends draining, reaps idle target connections and refreshes the Date cache.
func (p *Proxy) janitor() {
	defer p.wg.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		groups := make([]*tgState, 0, len(p.groups))
		for _, st := range p.groups {
			groups = append(groups, st)
		}
		p.mu.Unlock()
		now := p.now()
		real := time.Now().UnixNano()
		for _, st := range groups {
			cfg := st.cfg.Load()
			st.mu.Lock()
			for _, t := range cfg.all {
				if !t.deregAt.IsZero() {
					if now.Sub(t.deregAt) >= cfg.c.DeregistrationDelay {
						t.closeIdle(true)
					} else if t.inFlight.Load() == 0 {
						t.closeIdle(false)
					}
				}
				t.reapIdle(real)
			}
			st.mu.Unlock()
		}
	}
}
