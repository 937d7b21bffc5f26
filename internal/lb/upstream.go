package lb

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Upstream connection settings.
const (
	connectTimeout  = 10 * time.Second // ALB's connect timeout to targets
	maxIdlePerHost  = 512
	idleConnTimeout = 60 * time.Second // idle target connections are closed after this
	probeIdleAfter  = time.Second      // a connection idle longer is checked before reuse
)

// Target health states kept on the hot path.
const (
	stInitial int32 = iota
	stHealthy
	stUnhealthy
	stUnused
	stUnavailable // health checks disabled: routed to
)

// target is one registered target of one target group. It outlives Apply: health,
// counters and pooled connections are kept while the snapshot still lists it.
type target struct {
	tg     *tgState
	id     string
	port   int
	addr   string // host:port to connect to
	cookie string // AWSALB stickiness token

	state        atomic.Int32
	healthySince atomic.Int64 // unix nanoseconds when it last became healthy
	inFlight     atomic.Int64
	requests     atomic.Uint64

	// Guarded by tg.mu (written by Apply, read by Observe and the janitor).
	registeredAt time.Time
	deregAt      time.Time

	hmu       sync.Mutex // guards the health fields below
	reason    string
	desc      string
	successes int
	failures  int
	hcStop    chan struct{} // closed to stop the running health checker
	hcEnabled bool

	pmu    sync.Mutex // guards the pool
	idle   []*upConn
	busy   []*upConn
	closed bool // cut: no more connections
}

// upConn is a connection to a target.
type upConn struct {
	conn     net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	t        *target
	slot     int   // index in t.busy, -1 when idle
	lastUsed int64 // unix nanoseconds, when put back
}

var errTargetGone = errors.New("target is no longer registered")

// get returns a pooled idle connection or dials a new one; reused tells which.
func (t *target) get(tlsConf *tls.Config) (uc *upConn, reused bool, err error) {
	t.pmu.Lock()
	for len(t.idle) > 0 && !t.closed {
		uc = t.idle[len(t.idle)-1]
		t.idle = t.idle[:len(t.idle)-1]
		if time.Now().UnixNano()-uc.lastUsed > int64(probeIdleAfter) && !alive(uc.conn) {
			t.pmu.Unlock()
			uc.close()
			t.pmu.Lock()
			continue
		}
		uc.slot = len(t.busy)
		t.busy = append(t.busy, uc)
		t.pmu.Unlock()
		return uc, true, nil
	}
	closed := t.closed
	t.pmu.Unlock()
	if closed {
		return nil, false, errTargetGone
	}
	uc, err = t.dial(tlsConf)
	if err != nil {
		return nil, false, err
	}
	t.pmu.Lock()
	if t.closed {
		t.pmu.Unlock()
		uc.close()
		return nil, false, errTargetGone
	}
	uc.slot = len(t.busy)
	t.busy = append(t.busy, uc)
	t.pmu.Unlock()
	return uc, false, nil
}

func (t *target) dial(tlsConf *tls.Config) (*upConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	return &upConn{
		conn: conn,
		br:   bufio.NewReaderSize(conn, 16<<10),
		bw:   bufio.NewWriterSize(conn, 8<<10),
		t:    t,
		slot: -1,
	}, nil
}

// unbusy removes uc from the busy list; t.pmu must be held.
func (t *target) unbusy(uc *upConn) {
	if uc.slot < 0 || uc.slot >= len(t.busy) || t.busy[uc.slot] != uc {
		return
	}
	last := t.busy[len(t.busy)-1]
	t.busy[uc.slot] = last
	last.slot = uc.slot
	t.busy[len(t.busy)-1] = nil
	t.busy = t.busy[:len(t.busy)-1]
	uc.slot = -1
}

// put returns a connection whose exchange completed cleanly to the idle pool.
func (t *target) put(uc *upConn) {
	t.pmu.Lock()
	t.unbusy(uc)
	if t.closed || len(t.idle) >= maxIdlePerHost || uc.br.Buffered() > 0 {
		t.pmu.Unlock()
		uc.close()
		return
	}
	uc.lastUsed = time.Now().UnixNano()
	t.idle = append(t.idle, uc)
	t.pmu.Unlock()
}

// discard closes a connection that cannot be reused.
func (t *target) discard(uc *upConn) {
	t.pmu.Lock()
	t.unbusy(uc)
	t.pmu.Unlock()
	uc.close()
}

func (uc *upConn) close() { uc.conn.Close() }

// closeIdle closes the idle connections, and the busy ones too when cut is set; after
// a cut the target accepts no new connections.
func (t *target) closeIdle(cut bool) {
	t.pmu.Lock()
	idle := t.idle
	t.idle = nil
	var busy []*upConn
	if cut {
		t.closed = true
		busy = append(busy, t.busy...)
	}
	t.pmu.Unlock()
	for _, uc := range idle {
		uc.close()
	}
	for _, uc := range busy {
		uc.close()
	}
}

// reopen lets a target that was cut accept connections again (re-registration).
func (t *target) reopen() {
	t.pmu.Lock()
	t.closed = false
	t.pmu.Unlock()
}

// reapIdle closes connections idle for longer than idleConnTimeout.
func (t *target) reapIdle(now int64) {
	t.pmu.Lock()
	var old []*upConn
	keep := t.idle[:0]
	for _, uc := range t.idle {
		if now-uc.lastUsed > int64(idleConnTimeout) {
			old = append(old, uc)
		} else {
			keep = append(keep, uc)
		}
	}
	for i := len(keep); i < len(t.idle); i++ {
		t.idle[i] = nil
	}
	t.idle = keep
	t.pmu.Unlock()
	for _, uc := range old {
		uc.close()
	}
}

// poolSizes reports the idle and busy connection counts (for tests).
func (t *target) poolSizes() (idle, busy int) {
	t.pmu.Lock()
	defer t.pmu.Unlock()
	return len(t.idle), len(t.busy)
}
