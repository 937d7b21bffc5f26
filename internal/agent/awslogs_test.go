package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/ecs"
)

// recordingSink is a LogSink that keeps what it is given and checks each batch
// against PutLogEvents' rules.
type recordingSink struct {
	delay time.Duration // each Append takes this long

	mu       sync.Mutex
	streams  map[string][]LogEvent // by group + "|" + stream
	creates  map[string]bool       // createGroup of the last call, by group
	calls    int
	failures int   // Append fails this many more times
	failWith error // with this error
	fails    func(group string) error
	problems []string
}

func newRecordingSink() *recordingSink {
	return &recordingSink{streams: map[string][]LogEvent{}, creates: map[string]bool{}}
}

// Append implements LogSink.
func (s *recordingSink) Append(ctx context.Context, group, stream string, events []LogEvent, createGroup bool) error {
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failures > 0 {
		s.failures--
		return s.failWith
	}
	if s.fails != nil {
		if err := s.fails(group); err != nil {
			return err
		}
	}
	size := 0
	for i, e := range events {
		size += len(e.Message) + 26
		if e.Message == "" || len(e.Message) > 256<<10-26 || !utf8.ValidString(e.Message) {
			s.problems = append(s.problems, fmt.Sprintf("event of %d bytes (valid UTF-8: %v)", len(e.Message), utf8.ValidString(e.Message)))
		}
		if i > 0 && e.Timestamp.Before(events[i-1].Timestamp) {
			s.problems = append(s.problems, "events out of chronological order")
		}
	}
	if n := len(events); n == 0 || n > 10000 || size > 1048576 || events[n-1].Timestamp.Sub(events[0].Timestamp) > 24*time.Hour {
		s.problems = append(s.problems, fmt.Sprintf("a batch of %d events, %d bytes", n, size))
	}
	key := group + "|" + stream
	s.streams[key] = append(s.streams[key], events...)
	s.creates[group] = createGroup
	return nil
}

// events returns what stream of group received.
func (s *recordingSink) events(group, stream string) []LogEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEvent(nil), s.streams[group+"|"+stream]...)
}

// messages returns the messages stream of group received.
func (s *recordingSink) messages(group, stream string) []string {
	var out []string
	for _, e := range s.events(group, stream) {
		out = append(out, e.Message)
	}
	return out
}

// check fails the test when a batch broke PutLogEvents' rules.
func (s *recordingSink) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		t.Errorf("sink: %s", p)
	}
}

// logRecorder is a slog handler that counts messages, in front of another handler.
type logRecorder struct {
	slog.Handler
	mu     *sync.Mutex
	counts map[string]int // by level and message
}

func newLogRecorder(h slog.Handler) *logRecorder {
	return &logRecorder{Handler: h, mu: &sync.Mutex{}, counts: map[string]int{}}
}

func (l *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	l.mu.Lock()
	l.counts[r.Level.String()+" "+r.Message]++
	l.mu.Unlock()
	return l.Handler.Handle(ctx, r)
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logRecorder{Handler: l.Handler.WithAttrs(attrs), mu: l.mu, counts: l.counts}
}

func (l *logRecorder) WithGroup(name string) slog.Handler {
	return &logRecorder{Handler: l.Handler.WithGroup(name), mu: l.mu, counts: l.counts}
}

// count returns how many times a message was logged at level.
func (l *logRecorder) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[level.String()+" "+msg]
}

// awslogs returns cd with the awslogs log driver and opts.
func awslogs(cd ecs.ContainerDefinition, opts map[string]string) ecs.ContainerDefinition {
	cd.LogConfiguration = &ecs.LogConfiguration{LogDriver: "awslogs", Options: opts}
	return cd
}

// withEnv returns cd with more environment variables.
func withEnv(cd ecs.ContainerDefinition, kv ...string) ecs.ContainerDefinition {
	for i := 0; i+1 < len(kv); i += 2 {
		cd.Environment = append(cd.Environment, ecs.KeyValuePair{Name: kv[i], Value: kv[i+1]})
	}
	return cd
}

// logAgent runs an agent shipping to sink, with a short flush interval.
func logAgent(t *testing.T, f *fakeControl, drivers Drivers, sink LogSink, edit func(*Config)) *runningAgent {
	t.Helper()
	return startAgentWith(t, f, drivers, func(c *Config) {
		c.Logs = sink
		c.LogFlushInterval = 50 * time.Millisecond
		c.LogFlushTimeout = 30 * time.Second
		if edit != nil {
			edit(c)
		}
	})
}

// checkSequence checks that lines are "<prefix> <n> ..." for n = 1, 2, ... want, in
// order, exactly; with subsequence, some may be missing but the order holds.
func checkSequence(t *testing.T, what string, lines []string, prefix string, want int, subsequence bool) int {
	t.Helper()
	last, n := 0, 0
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix+" ") {
			continue
		}
		f := strings.Fields(l)
		i, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("%s: line %q", what, l)
		}
		if (!subsequence && i != last+1) || i <= last {
			t.Fatalf("%s: line %d follows line %d", what, i, last)
		}
		last = i
		n++
	}
	if !subsequence && n != want {
		t.Fatalf("%s: %d lines, want %d", what, n, want)
	}
	return n
}

// TestAWSLogsBlocking writes a burst of 100,000 lines in blocking mode: every one
// arrives, in order, before the task is reported STOPPED.
func TestAWSLogsBlocking(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	sink.delay = 2 * time.Millisecond
	ra := logAgent(t, f, Drivers{Process: newDriver(t, "")}, sink, nil)
	const n = 50000 // lines on each of stdout and stderr
	app := withEnv(helper("app", "lines"), "LINES", strconv.Itoa(n), "PAD", strings.Repeat("p", 40))
	app = awslogs(app, map[string]string{
		"awslogs-group": "/test/burst", "awslogs-region": "eu-west-3", "awslogs-stream-prefix": "burst",
		"awslogs-create-group": "true", "mode": "blocking",
	})
	nt := newTask(app)
	arn := nt.Task.TaskArn
	f.place(nt)
	waitStatus(t, f, arn, ecs.StatusStopped)
	// Reported STOPPED: the output was all delivered first.
	stream := "burst/app/" + taskID(arn)
	lines := sink.messages("/test/burst", stream)
	if len(lines) != 2*n {
		t.Fatalf("the sink has %d events in %s, want %d", len(lines), stream, 2*n)
	}
	checkSequence(t, "stdout", lines, "out", n, false)
	checkSequence(t, "stderr", lines, "err", n, false)
	if lines[0] != "out 000001 "+strings.Repeat("p", 40) {
		t.Errorf("first event %q", lines[0])
	}
	c, ok := ra.LogCounters(arn)
	if !ok || c.Delivered != 2*n || c.Dropped != 0 || c.Undelivered != 0 {
		t.Errorf("LogCounters = %+v, %v; want %d delivered, none lost", c, ok, 2*n)
	}
	sink.mu.Lock()
	create := sink.creates["/test/burst"]
	sink.mu.Unlock()
	if !create {
		t.Error("awslogs-create-group true did not reach the sink")
	}
	sink.check(t)
}

// TestAWSLogsNonBlocking writes faster than a slow sink takes, in non-blocking mode
// with a small buffer: lines are dropped and counted exactly, the others arrive in
// order, and the warning comes once per episode.
func TestAWSLogsNonBlocking(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	sink.delay = 20 * time.Millisecond
	logs := newLogRecorder(testLogger(t).Handler())
	ra := logAgent(t, f, Drivers{Process: newDriver(t, "")}, sink, func(c *Config) { c.Logger = slog.New(logs) })
	const n = 5000
	app := withEnv(helper("app", "lines"), "LINES", strconv.Itoa(n))
	app = awslogs(app, map[string]string{"awslogs-group": "g", "awslogs-stream-prefix": "nb", "max-buffer-size": "2k"})
	nt := newTask(app)
	arn := nt.Task.TaskArn
	f.place(nt)
	waitStatus(t, f, arn, ecs.StatusStopped)
	lines := sink.messages("g", "nb/app/"+taskID(arn))
	out := checkSequence(t, "stdout", lines, "out", n, true)
	errs := checkSequence(t, "stderr", lines, "err", n, true)
	c, _ := ra.LogCounters(arn)
	if c.Delivered != uint64(len(lines)) || c.Delivered+c.Dropped != 2*n || c.Dropped == 0 || c.Undelivered != 0 {
		t.Errorf("LogCounters = %+v with %d events in the sink (%d out, %d err); want delivered + dropped = %d, some dropped", c, len(lines), out, errs, 2*n)
	}
	warned := logs.count(slog.LevelWarn, "the container writes faster than its output is delivered: dropping lines (mode non-blocking)")
	ended := logs.count(slog.LevelInfo, "the container's output is no longer dropped")
	if warned == 0 || (warned != ended && warned != ended+1) || uint64(warned) >= c.Dropped {
		t.Errorf("%d warnings and %d ends of dropping for %d lines dropped; want one warning per episode", warned, ended, c.Dropped)
	}
	sink.check(t)
}

// TestAWSLogsGrouping checks the events made of lines: one per line, or grouped by
// awslogs-multiline-pattern or awslogs-datetime-format (which wins over the pattern),
// and the stream named after the container without a prefix.
func TestAWSLogsGrouping(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	logAgent(t, f, Drivers{Process: newDriver(t, "")}, sink, nil)
	tests := []struct {
		name   string
		opts   map[string]string
		output string
		want   []string
	}{
		{"datetime", map[string]string{"awslogs-datetime-format": "%Y-%m-%d %H:%M:%S"},
			`2024-01-02 10:00:00 start\n  at a\n  at b\n2024-01-02 10:00:01 next\nplain\n`,
			[]string{"2024-01-02 10:00:00 start\n  at a\n  at b\n", "2024-01-02 10:00:01 next\nplain\n"}},
		{"multiline", map[string]string{"awslogs-multiline-pattern": "^INFO"},
			`INFO one\n  more\nINFO two\n`,
			[]string{"INFO one\n  more\n", "INFO two\n"}},
		{"both", map[string]string{"awslogs-multiline-pattern": "^INFO", "awslogs-datetime-format": "%H:%M"},
			`INFO 10:00 a\nINFO b\n10:01 c\n`,
			[]string{"INFO 10:00 a\nINFO b\n", "10:01 c\n"}},
		{"lines", map[string]string{"mode": "blocking"},
			`x\n\ny\nno newline`,
			[]string{"x", "y", "no newline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts["awslogs-group"] = "/group/" + tt.name
			main := awslogs(shell("main", "printf '"+tt.output+"'"), tt.opts)
			nt := newTask(main)
			arn := nt.Task.TaskArn
			f.place(nt)
			stopped, _ := waitStatus(t, f, arn, ecs.StatusStopped)
			// Without a stream prefix, the stream is named after the container id.
			stream := container(t, stopped, "main").RuntimeID
			got := sink.messages(tt.opts["awslogs-group"], stream)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("events in %s = %q, want %q", stream, got, tt.want)
			}
		})
	}
	t.Cleanup(func() { sink.check(t) })
}

// TestAWSLogsLongLine checks that a line longer than an event is cut into events,
// between characters.
func TestAWSLogsLongLine(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	logAgent(t, f, Drivers{Process: newDriver(t, "")}, sink, nil)
	nt := newTask(awslogs(helper("app", "long"), map[string]string{"awslogs-group": "g", "awslogs-stream-prefix": "long", "mode": "blocking"}))
	f.place(nt)
	waitStatus(t, f, nt.Task.TaskArn, ecs.StatusStopped)
	got := sink.messages("g", "long/app/"+taskID(nt.Task.TaskArn))
	const max = 256<<10 - 26
	euroCut := max - max%3
	want := []string{
		strings.Repeat("a", max), strings.Repeat("a", max), strings.Repeat("a", 600000-2*max),
		strings.Repeat("€", euroCut/3), strings.Repeat("€", 100000-euroCut/3), "end",
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
	sink.check(t)
}

// TestAWSLogsSinkFailure checks that a failing sink is retried, its error logged once,
// until it takes the output.
func TestAWSLogsSinkFailure(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	sink.failures = 4
	sink.failWith = fmt.Errorf("append: %w", &awsapi.Error{Code: "ResourceNotFoundException", Message: "The specified log group does not exist."})
	logs := newLogRecorder(testLogger(t).Handler())
	ra := logAgent(t, f, Drivers{Process: newDriver(t, "")}, sink, func(c *Config) { c.Logger = slog.New(logs) })
	nt := newTask(awslogs(withEnv(helper("app", "lines"), "LINES", "100"), map[string]string{"awslogs-group": "missing", "awslogs-stream-prefix": "p", "mode": "blocking"}))
	arn := nt.Task.TaskArn
	f.place(nt)
	waitStatus(t, f, arn, ecs.StatusStopped)
	lines := sink.messages("missing", "p/app/"+taskID(arn))
	checkSequence(t, "stdout", lines, "out", 100, false)
	checkSequence(t, "stderr", lines, "err", 100, false)
	if n := logs.count(slog.LevelWarn, "delivering container output to CloudWatch Logs failed: retrying"); n != 1 {
		t.Errorf("the failure was logged %d times, want once", n)
	}
	if n := logs.count(slog.LevelInfo, "delivering container output to CloudWatch Logs again"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once", n)
	}
	if c, _ := ra.LogCounters(arn); c.Delivered != 200 {
		t.Errorf("LogCounters = %+v, want 200 delivered", c)
	}
}

// TestAWSLogsSinkDown checks that a sink that never works neither blocks a
// non-blocking container nor keeps its task from stopping: what was not delivered
// after LogFlushTimeout is counted.
func TestAWSLogsSinkDown(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	sink.fails = func(string) error {
		return &awsapi.Error{Code: "ServiceUnavailableException", Message: "down", Server: true}
	}
	drv := newDriver(t, "")
	ra := logAgent(t, f, Drivers{Process: drv}, sink, func(c *Config) { c.LogFlushTimeout = 300 * time.Millisecond })
	nt := newTask(awslogs(withEnv(helper("app", "count"), "INTERVAL_MS", "1"), map[string]string{"awslogs-group": "g", "max-buffer-size": "1k"}))
	arn := nt.Task.TaskArn
	f.place(nt)
	running, _ := waitStatus(t, f, arn, ecs.StatusRunning)
	id := container(t, running, "app").RuntimeID
	path, err := drv.LogPath(id)
	if err != nil {
		t.Fatal(err)
	}
	// The program goes on writing while nothing is delivered.
	eventually(t, "the program to write 500 lines", func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), "\nn 500\n")
	})
	eventually(t, "lines to be dropped", func() bool { c, _ := ra.LogCounters(arn); return c.Dropped > 0 })
	f.stopTask(arn)
	waitStatus(t, f, arn, ecs.StatusStopped)
	c, _ := ra.LogCounters(arn)
	if c.Delivered != 0 || c.Undelivered == 0 {
		t.Errorf("LogCounters = %+v; want none delivered, some given up", c)
	}
}

// TestAWSLogsResume restarts the agent while a task writes: the new agent goes on
// from where the first stopped, losing nothing.
func TestAWSLogsResume(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	sink := newRecordingSink()
	dir, state := t.TempDir(), t.TempDir()
	drvA := newDriver(t, dir)
	edit := func(c *Config) { c.StateDir = state }
	agentA := logAgent(t, f, Drivers{Process: drvA}, sink, edit)
	nt := newTask(awslogs(helper("app", "count"), map[string]string{"awslogs-group": "g", "awslogs-stream-prefix": "r", "mode": "blocking"}))
	arn := nt.Task.TaskArn
	stream := "r/app/" + taskID(arn)
	f.place(nt)
	running, _ := waitStatus(t, f, arn, ecs.StatusRunning)
	id := container(t, running, "app").RuntimeID
	eventually(t, "50 lines delivered", func() bool { return len(sink.events("g", stream)) >= 50 })
	agentA.stop(t)
	drvA.Close()
	shipped := len(sink.events("g", stream))
	path, err := drvA.LogPath(id)
	if err != nil {
		t.Fatal(err)
	}
	// The program writes on while no agent runs.
	eventually(t, "100 more lines written", func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), fmt.Sprintf("\nn %d\n", shipped+100))
	})

	drvB := newDriver(t, dir)
	agentB := logAgent(t, f, Drivers{Process: drvB}, sink, edit)
	eventually(t, "more lines delivered", func() bool { return len(sink.events("g", stream)) >= shipped+150 })
	f.stopTask(arn)
	waitStatus(t, f, arn, ecs.StatusStopped)

	lines := sink.messages("g", stream)
	seen := map[int]int{}
	last := 0
	for _, l := range lines {
		var n int
		if _, err := fmt.Sscanf(l, "n %d", &n); err != nil {
			t.Fatalf("event %q", l)
		}
		seen[n]++
		last = max(last, n)
	}
	dups := 0
	for i := 1; i <= last; i++ {
		switch seen[i] {
		case 0:
			t.Fatalf("line n %d was lost (%d lines, last n %d)", i, len(lines), last)
		case 1:
		default:
			dups += seen[i] - 1
		}
	}
	t.Logf("%d lines delivered, %d twice", last, dups)
	if dups > shipped {
		t.Errorf("%d lines delivered twice: the new agent did not resume", dups)
	}
	// The container is removed (and its position with it) just after the task stops.
	eventually(t, "the saved position of the removed container deleted", func() bool {
		_, err := os.Stat(agentB.cursorFile(id))
		return os.IsNotExist(err)
	})
}

// TestAWSLogsInvalid checks that a container with invalid awslogs options does not
// start, as Docker refuses to create it, and that without a sink a task runs unshipped.
func TestAWSLogsInvalid(t *testing.T) {
	t.Parallel()
	f := newFakeControl()
	startAgent(t, f, Drivers{Process: newDriver(t, "")}) // no Logs
	bad := newTask(awslogs(shell("main", "exec sleep 1000"), map[string]string{"awslogs-region": "us-east-1"}))
	f.place(bad)
	stopped, _ := waitStatus(t, f, bad.Task.TaskArn, ecs.StatusStopped)
	want := "CannotCreateContainerError: failed to initialize logging driver: must specify a value for log opt 'awslogs-group'"
	if stopped.StopCode != ecs.StopCodeTaskFailedToStart || stopped.StoppedReason != want {
		t.Errorf("stop = %s %q, want %s %q", stopped.StopCode, stopped.StoppedReason, ecs.StopCodeTaskFailedToStart, want)
	}
	if c := container(t, stopped, "main"); c.RuntimeID != "" {
		t.Errorf("the container was created: %q", c.RuntimeID)
	}

	good := newTask(awslogs(shell("main", "exec sleep 1000"), map[string]string{"awslogs-group": "g"}))
	f.place(good)
	waitStatus(t, f, good.Task.TaskArn, ecs.StatusRunning)
}
