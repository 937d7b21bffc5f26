package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/wharf-dev/wharf/internal/driver"
	"github.com/wharf-dev/wharf/internal/driver/process"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// helperEnv, set in a container's environment, turns the test binary into the helper
// program that tests run as a container; its value is the mode.
const helperEnv = "WHARF_AGENT_TEST_HELPER"

// helperPath is the absolute path of the test binary.
var helperPath string

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot find the test binary:", err)
		os.Exit(2)
	}
	helperPath = exe
	code := m.Run()
	cleanupDocker()
	os.Exit(code)
}

// helperReport is what the helper's HTTP server answers with.
type helperReport struct {
	Args []string `json:"args"`
	Env  []string `json:"env"`
	PID  int      `json:"pid"`
}

// helperMain is the helper program. Modes:
//
//	serve        serve HTTP on $PORT, answering with a helperReport
//	ignore-term  ignore SIGTERM, create the file $READY_FILE, and sleep
//	creds        serve HTTP on $PORT, answering with the credentials the SDK's default
//	             chain finds (a credsReport)
//	lines        print "out I $PAD" to stdout and "err I $PAD" to stderr for I in
//	             1..$LINES (I on 6 digits), as fast as it can, and exit
//	long         print a line of 600000 "a", a line of 100000 "€", and "end"
//	count        print "n I" for I = 1, 2, ... every $INTERVAL_MS (5) ms
//	burn         use a CPU until killed
func helperMain(mode string) int {
	switch mode {
	case "lines":
		n, _ := strconv.Atoi(os.Getenv("LINES"))
		pad := os.Getenv("PAD")
		// Whole lines per write: the process driver puts both streams in one file.
		var out, errb []byte
		for i := 1; i <= n; i++ {
			out = fmt.Appendf(out, "out %06d %s\n", i, pad)
			errb = fmt.Appendf(errb, "err %06d %s\n", i, pad)
			if len(out) > 32<<10 || i == n {
				os.Stdout.Write(out)
				os.Stderr.Write(errb)
				out, errb = out[:0], errb[:0]
			}
		}
		return 0
	case "long":
		fmt.Println(strings.Repeat("a", 600000))
		fmt.Println(strings.Repeat("€", 100000))
		fmt.Println("end")
		return 0
	case "count":
		interval := 5 * time.Millisecond
		if ms, err := strconv.Atoi(os.Getenv("INTERVAL_MS")); err == nil {
			interval = time.Duration(ms) * time.Millisecond
		}
		for i := 1; ; i++ {
			fmt.Printf("n %d\n", i)
			time.Sleep(interval)
		}
	case "burn":
		for x := 0; ; x++ {
		}
	case "creds":
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			var rep credsReport
			cfg, err := config.LoadDefaultConfig(r.Context())
			if err == nil {
				var creds aws.Credentials
				creds, err = cfg.Credentials.Retrieve(r.Context())
				rep.AccessKeyID, rep.SessionToken = creds.AccessKeyID, creds.SessionToken
			}
			if err != nil {
				rep.Err = err.Error()
			}
			json.NewEncoder(w).Encode(rep)
		})
		err := http.ListenAndServe(":"+os.Getenv("PORT"), nil)
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	case "serve":
		report := helperReport{Args: os.Args, Env: os.Environ(), PID: os.Getpid()}
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(report)
		})
		err := http.ListenAndServe(":"+os.Getenv("PORT"), nil)
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		if err := os.WriteFile(os.Getenv("READY_FILE"), nil, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		for {
			time.Sleep(time.Hour)
		}
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
	return 2
}

// credsReport is what the helper answers with in mode creds.
type credsReport struct {
	AccessKeyID  string `json:"accessKeyId"`
	SessionToken string `json:"sessionToken"`
	Err          string `json:"err"`
}

// fakeControl is an in-memory control plane. Like the real one, it applies reports
// to its tasks, lists only tasks that are not STOPPED, and wakes its watchers on
// every change.
type fakeControl struct {
	mu            sync.Mutex
	nodes         []ecs.NodeInfo
	tasks         []ecs.NodeTask
	reports       []ecs.TaskReport
	watchers      map[chan struct{}]bool
	nodeTasksErrs int  // NodeTasks fails this many more times
	failStopped   bool // ReportTask refuses STOPPED reports
	refused       int  // reports refused
	nodeTaskCalls atomic.Int64
}

func newFakeControl() *fakeControl {
	return &fakeControl{watchers: map[chan struct{}]bool{}}
}

// RegisterNode implements Control.
func (f *fakeControl) RegisterNode(ctx context.Context, info ecs.NodeInfo) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes = append(f.nodes, info)
	return nil
}

// NodeTasks implements Control.
func (f *fakeControl) NodeTasks(ctx context.Context, nodeID string) ([]ecs.NodeTask, error) {
	f.nodeTaskCalls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nodeTasksErrs > 0 {
		f.nodeTasksErrs--
		return nil, errors.New("fake: control plane unavailable")
	}
	var out []ecs.NodeTask
	for _, nt := range f.tasks {
		if nt.Task.LastStatus != ecs.StatusStopped {
			out = append(out, nt)
		}
	}
	return out, nil
}

// ReportTask implements Control.
func (f *fakeControl) ReportTask(ctx context.Context, r ecs.TaskReport) error {
	f.mu.Lock()
	if f.failStopped && r.LastStatus == ecs.StatusStopped {
		f.refused++
		f.mu.Unlock()
		return errors.New("fake: control plane unavailable")
	}
	f.reports = append(f.reports, r)
	for i := range f.tasks {
		t := &f.tasks[i].Task
		if t.TaskArn != r.TaskArn || t.LastStatus == ecs.StatusStopped {
			continue
		}
		if r.LastStatus != "" {
			t.LastStatus = r.LastStatus
		}
		if r.StartedAt != nil {
			t.StartedAt = r.StartedAt
		}
		if r.LastStatus == ecs.StatusStopped {
			t.DesiredStatus = ecs.StatusStopped
		}
	}
	f.mu.Unlock()
	f.poke()
	return nil
}

// Watch implements Control.
func (f *fakeControl) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	f.watchers[ch] = true
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.watchers, ch)
		f.mu.Unlock()
	}
}

// poke wakes every watcher.
func (f *fakeControl) poke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// place adds a task.
func (f *fakeControl) place(nt ecs.NodeTask) {
	f.mu.Lock()
	f.tasks = append(f.tasks, nt)
	f.mu.Unlock()
	f.poke()
}

// edit changes a task in place.
func (f *fakeControl) edit(arn string, fn func(t *ecs.Task)) {
	f.mu.Lock()
	for i := range f.tasks {
		if f.tasks[i].Task.TaskArn == arn {
			fn(&f.tasks[i].Task)
		}
	}
	f.mu.Unlock()
	f.poke()
}

// stopTask asks for a task to stop, as StopTask does.
func (f *fakeControl) stopTask(arn string) {
	f.edit(arn, func(t *ecs.Task) {
		t.DesiredStatus = ecs.StatusStopped
		t.StopCode = ecs.StopCodeUserInitiated
		t.StoppedReason = "Task stopped by the test"
	})
}

// forget drops a task, as a control plane that no longer places it here.
func (f *fakeControl) forget(arn string) {
	f.mu.Lock()
	f.tasks = slices.DeleteFunc(f.tasks, func(nt ecs.NodeTask) bool { return nt.Task.TaskArn == arn })
	f.mu.Unlock()
	f.poke()
}

// reportsOf returns the reports about a task so far.
func (f *fakeControl) reportsOf(arn string) []ecs.TaskReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ecs.TaskReport
	for _, r := range f.reports {
		if r.TaskArn == arn {
			out = append(out, r)
		}
	}
	return out
}

// dump formats the reports about a task for a failure message.
func (f *fakeControl) dump(arn string) string {
	var b strings.Builder
	for i, r := range f.reportsOf(arn) {
		fmt.Fprintf(&b, "  #%d %s health=%s stop=%q %q", i, r.LastStatus, r.HealthStatus, r.StopCode, r.StoppedReason)
		for _, c := range r.Containers {
			exit := "-"
			if c.ExitCode != nil {
				exit = strconv.Itoa(int(*c.ExitCode))
			}
			fmt.Fprintf(&b, " [%s %s id=%s exit=%s health=%s reason=%q]", c.Name, c.LastStatus, c.RuntimeID, exit, c.HealthStatus, c.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// checkNoRepeats fails the test when a report about arn repeats the state of the one
// before it without marking a transition (a timestamp or a stop code).
func checkNoRepeats(t *testing.T, f *fakeControl, arn string) {
	t.Helper()
	state := func(r ecs.TaskReport) string {
		r.StopCode, r.StoppedReason = "", ""
		r.PullStartedAt, r.PullStoppedAt, r.StartedAt, r.StoppingAt, r.StoppedAt, r.ExecutionStoppedAt = nil, nil, nil, nil, nil, nil
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	reps := f.reportsOf(arn)
	for i := 1; i < len(reps); i++ {
		r := reps[i]
		transition := r.PullStartedAt != nil || r.StartedAt != nil || r.StoppingAt != nil || r.StoppedAt != nil || r.StopCode != ""
		if !transition && state(r) == state(reps[i-1]) {
			t.Fatalf("report #%d repeats #%d; reports:\n%s", i, i-1, f.dump(arn))
		}
	}
}

// eventually polls cond until it holds, failing the test after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitReport waits for a report about arn, from index from on, that match accepts,
// and returns it with its index.
func waitReport(t *testing.T, f *fakeControl, arn string, from int, what string, match func(ecs.TaskReport) bool) (ecs.TaskReport, int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		reps := f.reportsOf(arn)
		for i := from; i < len(reps); i++ {
			if match(reps[i]) {
				return reps[i], i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for a report: %s; reports:\n%s", what, f.dump(arn))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStatus waits for a report with lastStatus status.
func waitStatus(t *testing.T, f *fakeControl, arn, status string) (ecs.TaskReport, int) {
	t.Helper()
	return waitReport(t, f, arn, 0, "lastStatus "+status, func(r ecs.TaskReport) bool { return r.LastStatus == status })
}

// container returns the report of container name, failing the test when absent.
func container(t *testing.T, r ecs.TaskReport, name string) ecs.ContainerReport {
	t.Helper()
	for _, c := range r.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("report %s has no container %q: %+v", r.LastStatus, name, r.Containers)
	return ecs.ContainerReport{}
}

// newDriver returns a process driver on dir (a new temporary directory when empty)
// that, when the test ends, stops and removes what it still runs, and is closed.
func newDriver(t *testing.T, dir string) *process.Driver {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	d, err := process.New(dir, testLogger(t).With("component", "driver"))
	if err != nil {
		t.Fatalf("process.New: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		list, _ := d.List(ctx)
		for _, st := range list {
			if st.Running {
				d.Stop(ctx, st.ID, time.Second)
			}
			d.Remove(ctx, st.ID)
		}
		d.Close()
	})
	return d
}

// testLogger logs to the test log, at debug level when -v is given. What is logged
// after the test ended (a driver reaping a process late) is dropped.
func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter writes to t.Log until the test ends.
type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// testEndpoint is the AWS_ENDPOINT_URL the test agents give their tasks.
const testEndpoint = "http://127.0.0.1:4566"

// runningAgent is an agent running in the background.
type runningAgent struct {
	*Agent
	cancel  context.CancelFunc
	done    chan struct{} // closed when Run returned
	err     error         // what Run returned
	stopped sync.Once
}

// stop cancels the agent's context and waits for Run to return (once).
func (ra *runningAgent) stop(t *testing.T) {
	t.Helper()
	ra.stopped.Do(func() {
		ra.cancel()
		select {
		case <-ra.done:
			if ra.err != nil {
				t.Errorf("Run: %v", ra.err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

// startAgent runs an agent on f with drivers until the test ends, and waits until it
// is ready.
func startAgent(t *testing.T, f *fakeControl, drivers Drivers) *runningAgent {
	t.Helper()
	return startAgentWith(t, f, drivers, nil)
}

// startAgentWith is startAgent with edit applied to the agent's configuration.
func startAgentWith(t *testing.T, f *fakeControl, drivers Drivers, edit func(*Config)) *runningAgent {
	t.Helper()
	cfg := Config{
		NodeID:       "i-test",
		Control:      f,
		Drivers:      drivers,
		Endpoint:     testEndpoint,
		Region:       "eu-west-3",
		Version:      "test",
		Logger:       testLogger(t).With("agent", t.Name()),
		PollInterval: 50 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	a := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{Agent: a, cancel: cancel, done: make(chan struct{})}
	go func() {
		ra.err = a.Run(ctx)
		close(ra.done)
	}()
	t.Cleanup(func() { ra.stop(t) })
	select {
	case <-a.Ready():
	case <-ra.done:
		t.Fatalf("Run returned before the agent was ready: %v", ra.err)
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not become ready")
	}
	return ra
}

var taskSeq atomic.Int64

// newTask returns a task placed with desiredStatus RUNNING, made of cds.
func newTask(cds ...ecs.ContainerDefinition) ecs.NodeTask {
	id := fmt.Sprintf("%032x", taskSeq.Add(1)+time.Now().UnixNano())
	return ecs.NodeTask{
		Task: ecs.Task{
			TaskArn:           "arn:aws:ecs:eu-west-3:000000000000:task/default/" + id,
			ClusterArn:        "arn:aws:ecs:eu-west-3:000000000000:cluster/default",
			TaskDefinitionArn: "arn:aws:ecs:eu-west-3:000000000000:task-definition/test:1",
			LastStatus:        ecs.StatusProvisioning,
			DesiredStatus:     ecs.StatusRunning,
			LaunchType:        "EC2",
		},
		TaskDefinition: ecs.TaskDefinition{
			TaskDefinitionArn:    "arn:aws:ecs:eu-west-3:000000000000:task-definition/test:1",
			Family:               "test",
			Revision:             1,
			NetworkMode:          "bridge",
			ContainerDefinitions: cds,
		},
	}
}

// shell is a container that runs script with /bin/sh; it stops 2 s after SIGTERM at most.
func shell(name, script string) ecs.ContainerDefinition {
	return ecs.ContainerDefinition{
		Name:        name,
		Image:       "process:/bin/sh",
		EntryPoint:  []string{"-c"},
		Command:     []string{script},
		StopTimeout: ptr(int32(2)),
	}
}

// helper is a container that runs the helper program in mode.
func helper(name, mode string) ecs.ContainerDefinition {
	return ecs.ContainerDefinition{
		Name:  name,
		Image: "process:" + helperPath,
		Environment: []ecs.KeyValuePair{
			{Name: helperEnv, Value: mode},
			// The race detector makes a program that exits sleep 1 s by default.
			{Name: "GORACE", Value: "atexit_sleep_ms=0"},
		},
		StopTimeout: ptr(int32(2)),
	}
}

// nonEssential marks a container definition as not essential.
func nonEssential(cd ecs.ContainerDefinition) ecs.ContainerDefinition {
	cd.Essential = ptr(false)
	return cd
}

func ptr[T any](v T) *T { return &v }

// pidOf returns the pid of a process driver container from its runtime id,
// "proc-<pid>-<start ticks>".
func pidOf(t *testing.T, runtimeID string) int {
	t.Helper()
	var pid int
	var ticks uint64
	if _, err := fmt.Sscanf(runtimeID, "proc-%d-%d", &pid, &ticks); err != nil || pid <= 0 {
		t.Fatalf("runtime id %q is not a process driver id: %v", runtimeID, err)
	}
	return pid
}

// alive reports whether process pid runs: kill -0 succeeds and it is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// removed reports whether drv no longer knows container id.
func removed(drv driver.Driver, id string) bool {
	_, err := drv.Inspect(context.Background(), id)
	return errors.Is(err, driver.ErrNotFound)
}

// getHelper fetches the report of the helper serving on host port, waiting for it.
func getHelper(t *testing.T, port int32) helperReport {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	var rep helperReport
	eventually(t, fmt.Sprintf("HTTP on port %d", port), func() bool {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(int(port)) + "/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET: status %d, err %v", resp.StatusCode, err)
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("decode helper report %q: %v", b, err)
		}
		return true
	})
	return rep
}

// envMap turns KEY=VALUE lines into a map.
func envMap(lines []string) map[string]string {
	m := map[string]string{}
	for _, kv := range lines {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// markerDir returns a directory for files the test's containers write.
func markerDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "marks")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
