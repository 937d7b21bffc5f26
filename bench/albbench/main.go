// Command albbench measures Wharf's application load balancer side by side with nginx,
// HAProxy and Caddy in front of the same upstream, with wrk on loopback: interleaved
// rounds, requests per second, p50 and p99 latency, and each proxy's CPU time per
// request read from /proc. bench/alb.sh installs the peers and runs it; see
// docs/benchmarks.md.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	wharfBin := flag.String("wharf", "bin/wharf", "the wharf binary")
	upstreamBin := flag.String("upstream", "bin/upstream", "the upstream binary")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	duration := flag.Duration("d", 10*time.Second, "wrk duration per run")
	conns := flag.Int("c", 64, "wrk connections")
	rules := flag.String("rules", "1,100", "rule counts to measure")
	only := flag.String("only", "", "comma-separated proxies to run (default all)")
	flag.Parse()
	if err := run(*wharfBin, *upstreamBin, *rounds, *duration, *conns, *rules, *only); err != nil {
		fmt.Fprintln(os.Stderr, "albbench:", err)
		os.Exit(1)
	}
}

// proxy is one contender: how to start it in front of the upstream with n rules.
type proxy struct {
	name  string
	start func(dir string, port, upstream, rules int) (*exec.Cmd, error)
}

func run(wharfBin, upstreamBin string, rounds int, d time.Duration, conns int, ruleList, only string) error {
	tmp, err := os.MkdirTemp("", "albbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	upPort := freePort()
	up := exec.Command(upstreamBin)
	up.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", upPort))
	if err := up.Start(); err != nil {
		return fmt.Errorf("start upstream: %w", err)
	}
	defer stop(up)
	if err := waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/", upPort)); err != nil {
		return err
	}
	contenders := []proxy{
		{"nginx", startNginx},
		{"haproxy", startHAProxy},
		{"caddy", startCaddy},
		{"wharf", func(dir string, port, upstream, rules int) (*exec.Cmd, error) {
			return startWharf(wharfBin, dir, port, upstream, rules)
		}},
	}
	if only != "" {
		var keep []proxy
		for _, c := range contenders {
			if strings.Contains(","+only+",", ","+c.name+",") {
				keep = append(keep, c)
			}
		}
		contenders = keep
	}
	for _, rs := range strings.Split(ruleList, ",") {
		n, err := strconv.Atoi(rs)
		if err != nil || n < 1 {
			return fmt.Errorf("-rules %q: want positive counts", ruleList)
		}
		if err := measure(tmp, contenders, upPort, n, rounds, d, conns); err != nil {
			return err
		}
	}
	return nil
}

// result is one wrk run against one proxy.
type result struct {
	rps       float64
	p50, p99  time.Duration
	cpuPerReq time.Duration
	requests  int
}

func measure(tmp string, contenders []proxy, upPort, rules, rounds int, d time.Duration, conns int) error {
	type running struct {
		proxy
		cmd  *exec.Cmd
		port int
		runs []result
	}
	var rs []*running
	defer func() {
		for _, r := range rs {
			stop(r.cmd)
		}
	}()
	for _, c := range contenders {
		dir := filepath.Join(tmp, fmt.Sprintf("%s-%d", c.name, rules))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		port := freePort()
		cmd, err := c.start(dir, port, upPort, rules)
		if err != nil {
			return fmt.Errorf("start %s: %w", c.name, err)
		}
		r := &running{proxy: c, cmd: cmd, port: port}
		rs = append(rs, r)
		if err := waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		// Warm up.
		if _, err := wrk(port, 2*time.Second, conns); err != nil {
			return fmt.Errorf("%s warm-up: %w", c.name, err)
		}
	}
	for round := 0; round < rounds; round++ {
		for _, r := range rs {
			waitQuiet()
			before := cpuOf(r.cmd.Process.Pid)
			res, err := wrk(r.port, d, conns)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			spent := cpuOf(r.cmd.Process.Pid) - before
			if res.requests > 0 {
				res.cpuPerReq = spent / time.Duration(res.requests)
			}
			r.runs = append(r.runs, res)
		}
	}
	fmt.Printf("\n%d rule(s), one upstream, wrk -t2 -c%d -d%v, %d interleaved rounds (medians)\n\n", rules, conns, d, rounds)
	fmt.Println("| proxy | req/s | vs nginx | p50 | p99 | proxy CPU per request |")
	fmt.Println("|---|---|---|---|---|---|")
	var base float64
	for _, r := range rs {
		m := median(r.runs)
		if r.name == "nginx" {
			base = m.rps
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", m.rps/base)
		}
		fmt.Printf("| %s | %.0f | %s | %v | %v | %.1f µs |\n", r.name, m.rps, ratio,
			m.p50.Round(10*time.Microsecond), m.p99.Round(10*time.Microsecond), float64(m.cpuPerReq.Nanoseconds())/1000)
	}
	return nil
}

func median(rs []result) result {
	pick := func(less func(a, b result) bool) result {
		s := append([]result(nil), rs...)
		sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
		return s[len(s)/2]
	}
	return result{
		rps:       pick(func(a, b result) bool { return a.rps < b.rps }).rps,
		p50:       pick(func(a, b result) bool { return a.p50 < b.p50 }).p50,
		p99:       pick(func(a, b result) bool { return a.p99 < b.p99 }).p99,
		cpuPerReq: pick(func(a, b result) bool { return a.cpuPerReq < b.cpuPerReq }).cpuPerReq,
	}
}

var (
	reqRe     = regexp.MustCompile(`(\d+) requests in`)
	rpsRe     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	latencyRe = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)`)
)

// wrk runs wrk against 127.0.0.1:port and parses its report.
func wrk(port int, d time.Duration, conns int) (result, error) {
	out, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency",
		fmt.Sprintf("http://127.0.0.1:%d/", port)).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	s := string(out)
	if strings.Contains(s, "Non-2xx") || strings.Contains(s, "Socket errors") {
		return result{}, fmt.Errorf("wrk saw errors:\n%s", s)
	}
	var r result
	if m := reqRe.FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := rpsRe.FindStringSubmatch(s); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range latencyRe.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		lat := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = lat
		} else {
			r.p99 = lat
		}
	}
	if r.requests == 0 || r.rps == 0 {
		return result{}, fmt.Errorf("cannot read wrk's report:\n%s", s)
	}
	return r, nil
}

// cpuOf returns the user+system CPU time of pid and all its descendants.
func cpuOf(pid int) time.Duration {
	var total time.Duration
	for _, p := range append([]int{pid}, descendants(pid)...) {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		total += time.Duration(ut+st) * time.Second / 100 // USER_HZ
	}
	return total
}

func descendants(pid int) []int {
	out, err := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	if err != nil {
		return nil
	}
	var kids []int
	for _, f := range strings.Fields(string(out)) {
		if k, err := strconv.Atoi(f); err == nil {
			kids = append(kids, k)
			kids = append(kids, descendants(k)...)
		}
	}
	return kids
}

// waitQuiet waits (up to 10 s) until the machine's load has settled for a moment.
func waitQuiet() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		a := totalCPU()
		time.Sleep(500 * time.Millisecond)
		if busy := totalCPU() - a; busy < 50*time.Millisecond { // under 5% of 2 cores
			return
		}
	}
}

// totalCPU is the busy time of the whole machine from /proc/stat.
func totalCPU() time.Duration {
	raw, _ := os.ReadFile("/proc/stat")
	line := strings.SplitN(string(raw), "\n", 2)[0]
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100
}

func waitHTTP(url string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within 20s", url)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func stop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// background returns a command that stays in the foreground of its own process (no
// daemonising), so that its CPU can be read and it can be stopped.
func background(name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd, cmd.Start()
}
