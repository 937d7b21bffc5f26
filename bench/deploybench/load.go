package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadGen is an open-loop, paced load generator (wrk2's semantics): a scheduler issues
// request i at start + i/rate whatever the answers' latency, into a queue that a pool
// of workers drains; latency is measured from the intended start, so a stalled server
// cannot slow the offered load down (no coordinated omission). A request the queue
// cannot take (every worker busy and a second's backlog queued) is counted as missed:
// the generator's own limit, not a failure of the server.
type loadGen struct {
	url    string
	client *http.Client
	jobs   chan time.Time
	rateCh chan float64
	stop   chan struct{}
	wg     sync.WaitGroup

	scheduled, sent, failed, missed atomic.Int64
	maxLag                          atomic.Int64 // ns between a request's intended and actual start

	mu        sync.Mutex
	errCounts map[string]int
	firstErrs []string
	latencies []time.Duration
	versions  map[string]int
	pidSeen   map[int]time.Time // pid → first answer from it
	started   time.Time
	origin    time.Time // failures are reported relative to it
	ended     time.Time
}

// answer is what productapi's GET / reports.
type answer struct {
	Version string `json:"version"`
	PID     int    `json:"pid"`
}

func newLoadGen(url string, rate float64, workers int) *loadGen {
	g := &loadGen{url: url, jobs: make(chan time.Time, int(math.Max(rate, 16))), rateCh: make(chan float64, 1),
		stop: make(chan struct{}), errCounts: map[string]int{}, versions: map[string]int{}, pidSeen: map[int]time.Time{}}
	g.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: 30 * time.Second}}
	g.started = time.Now()
	g.origin = g.started
	for range workers {
		g.wg.Add(1)
		go g.work()
	}
	g.wg.Add(1)
	go g.schedule(rate)
	return g
}

// setOrigin makes failures be reported relative to t.
func (g *loadGen) setOrigin(t time.Time) {
	g.mu.Lock()
	g.origin = t
	g.mu.Unlock()
}

// setRate changes the offered rate from now on.
func (g *loadGen) setRate(r float64) { g.rateCh <- r }

func (g *loadGen) schedule(rate float64) {
	defer g.wg.Done()
	defer close(g.jobs)
	base, baseN, issued := time.Now(), int64(0), int64(0)
	for {
		select {
		case <-g.stop:
			return
		case r := <-g.rateCh:
			base, baseN, rate = time.Now(), issued, r
		default:
		}
		due := baseN + int64(time.Since(base).Seconds()*rate)
		for ; issued < due; issued++ {
			intended := base.Add(time.Duration(float64(issued-baseN) / rate * 1e9))
			g.scheduled.Add(1)
			select {
			case g.jobs <- intended:
			default:
				g.missed.Add(1)
			}
		}
		time.Sleep(time.Millisecond)
	}
}

func (g *loadGen) work() {
	defer g.wg.Done()
	for intended := range g.jobs {
		if lag := time.Since(intended); int64(lag) > g.maxLag.Load() {
			g.maxLag.Store(int64(lag)) // racy max, good enough for a report
		}
		g.sent.Add(1)
		a, err := g.get()
		done := time.Now()
		g.mu.Lock()
		g.latencies = append(g.latencies, done.Sub(intended))
		if err != nil {
			g.failed.Add(1)
			msg := err.Error()
			g.errCounts[msg]++
			if len(g.firstErrs) < 8 {
				g.firstErrs = append(g.firstErrs, fmt.Sprintf("sent %+.3fs, answered %+.3fs: %s", intended.Sub(g.origin).Seconds(), done.Sub(g.origin).Seconds(), msg))
			}
		} else {
			g.versions[a.Version]++
			if _, ok := g.pidSeen[a.PID]; !ok {
				g.pidSeen[a.PID] = done
			}
		}
		g.mu.Unlock()
	}
}

func (g *loadGen) get() (answer, error) {
	var a answer
	resp, err := g.client.Get(g.url)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, fmt.Errorf("reading the body: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return a, fmt.Errorf("status %d: %s", resp.StatusCode, strings.Join(strings.Fields(string(body)), " "))
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("decoding %q: %w", body, err)
	}
	return a, nil
}

// end stops the scheduler and waits for every request in flight.
func (g *loadGen) end() {
	close(g.stop)
	g.wg.Wait()
	g.ended = time.Now()
}

// pids returns the pids seen and when each first answered.
func (g *loadGen) pids() map[int]time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[int]time.Time, len(g.pidSeen))
	for k, v := range g.pidSeen {
		out[k] = v
	}
	return out
}

// loadReport is what a load run measured.
type loadReport struct {
	Scheduled, Sent, Failed, Missed int64
	Duration                        time.Duration
	Achieved                        float64 // sent per second
	P50, P99, Max, MaxLag           time.Duration
	Errors                          map[string]int
	FirstErrors                     []string
	Versions                        map[string]int
}

func (g *loadGen) report() loadReport {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := loadReport{Scheduled: g.scheduled.Load(), Sent: g.sent.Load(), Failed: g.failed.Load(), Missed: g.missed.Load(),
		Duration: g.ended.Sub(g.started), MaxLag: time.Duration(g.maxLag.Load()), Errors: g.errCounts,
		FirstErrors: g.firstErrs, Versions: g.versions}
	r.Achieved = float64(r.Sent) / r.Duration.Seconds()
	l := slices.Clone(g.latencies)
	slices.Sort(l)
	if n := len(l); n > 0 {
		r.P50, r.P99, r.Max = l[n/2], l[n*99/100], l[n-1]
	}
	return r
}
