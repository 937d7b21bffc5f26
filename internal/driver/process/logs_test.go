package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// streamAll reads the logs of id from cursor and returns the records, their data copied.
func streamAll(t *testing.T, d *Driver, id, cursor string, follow bool) []driver.LogRecord {
	t.Helper()
	var recs []driver.LogRecord
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := d.StreamLogs(ctx, id, cursor, follow, func(r driver.LogRecord) error {
		r.Data = bytes.Clone(r.Data)
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("StreamLogs(%s, %q): %v", id, cursor, err)
	}
	return recs
}

// joined concatenates the data of records.
func joined(recs []driver.LogRecord) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(string(r.Data))
	}
	return b.String()
}

func TestStreamLogs(t *testing.T) {
	t.Parallel()
	d := newDriver(t, "")
	const n = 3000
	st := start(t, d, helperSpec("lines", "lines", strconv.Itoa(n)))
	// Following from the start, while the process writes, returns once it exited
	// with all it wrote.
	recs := streamAll(t, d, st.ID, "", true)
	var want strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&want, "out %d\nerr %d\n", i, i)
	}
	want.WriteString(strings.Repeat("x", 40000) + "\ntail")
	if got := joined(recs); got != want.String() {
		t.Fatalf("StreamLogs gave %d bytes, want %d; ends %q", len(got), want.Len(), got[max(0, len(got)-60):])
	}
	if got := logText(t, d, st.ID); got != want.String() {
		t.Errorf("the log file holds %d bytes, want %d", len(got), want.Len())
	}
	var offset int64
	for i, r := range recs {
		nl := bytes.IndexByte(r.Data, '\n')
		last := i == len(recs)-1
		switch {
		case r.Stream != driver.StreamStdout:
			t.Fatalf("record %d is of stream %q, want stdout", i, r.Stream)
		case r.Time.IsZero():
			t.Fatalf("record %d has no time", i)
		case len(r.Data) > maxRecord:
			t.Fatalf("record %d has %d bytes, more than %d", i, len(r.Data), maxRecord)
		case nl >= 0 && nl != len(r.Data)-1:
			t.Fatalf("record %d holds more than a line: %q", i, r.Data)
		case nl < 0 && len(r.Data) != maxRecord && !last:
			t.Fatalf("record %d is a part of a line of %d bytes, not %d", i, len(r.Data), maxRecord)
		}
		offset += int64(len(r.Data))
		if r.Cursor != strconv.FormatInt(offset, 10) {
			t.Fatalf("record %d has cursor %q, want the offset %d", i, r.Cursor, offset)
		}
	}
	if got := string(recs[len(recs)-1].Data); got != "tail" {
		t.Errorf("the last record is %q, want \"tail\"", got)
	}
	// Resuming at a cursor gives exactly the rest.
	for _, k := range []int{0, len(recs) / 2, len(recs) - 4, len(recs) - 1} {
		rest := streamAll(t, d, st.ID, recs[k].Cursor, false)
		if got := joined(rest); got != joined(recs[k+1:]) {
			t.Errorf("from the cursor of record %d: %d bytes, want %d", k, len(got), len(joined(recs[k+1:])))
		}
	}
	// A cursor past the end (a file that shrank) reads from the start.
	if got := joined(streamAll(t, d, st.ID, "99999999", false)); got != want.String() {
		t.Errorf("from a cursor past the end: %d bytes, want the whole file", len(got))
	}
	stop := errors.New("enough")
	if err := d.StreamLogs(context.Background(), st.ID, "", false, func(driver.LogRecord) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("StreamLogs with a failing callback = %v, want its error", err)
	}
	for _, bad := range []string{"x", "-1", "1.5"} {
		if err := d.StreamLogs(context.Background(), st.ID, bad, false, func(driver.LogRecord) error { return nil }); err == nil {
			t.Errorf("StreamLogs with cursor %q succeeded", bad)
		}
	}
	if err := d.StreamLogs(context.Background(), "proc-1-1", "", false, func(driver.LogRecord) error { return nil }); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("StreamLogs of an unknown container = %v, want ErrNotFound", err)
	}
}

// TestStreamLogsFollow checks that following waits for a running process, through a
// restart of Wharf, until it exits.
func TestStreamLogsFollow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d1, err := New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := start(t, d1, helperSpec("follow", "sleep"))
	waitLog(t, d1, st.ID, "ready\n")
	d1.Close()
	d := newDriver(t, dir) // adopts the running process

	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- d.StreamLogs(context.Background(), st.ID, "", true, func(r driver.LogRecord) error {
			got <- string(r.Data)
			return nil
		})
	}()
	select {
	case line := <-got:
		if line != "ready\n" {
			t.Fatalf("first record %q, want \"ready\\n\"", line)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no record in 15 s")
	}
	select {
	case err := <-done:
		t.Fatalf("StreamLogs returned while the process runs: %v", err)
	default:
	}
	if err := d.Stop(context.Background(), st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("StreamLogs after the exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("StreamLogs did not return after the process exited")
	}

	// A cancelled context ends a follow.
	st2 := start(t, d, helperSpec("follow2", "sleep"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- d.StreamLogs(ctx, st2.ID, "", true, func(driver.LogRecord) error { cancel(); return nil })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("StreamLogs with a cancelled context = %v, want context.Canceled", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("StreamLogs did not return after its context was cancelled")
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	d := newDriver(t, "")
	// The process sleeps; its child burns: the CPU counted is the child's.
	st := start(t, d, helperSpec("burn", "burn-child"))
	waitLog(t, d, st.ID, "child ")
	ctx := context.Background()
	first, err := d.Stats(ctx, st.ID)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if first.Time.IsZero() || first.MemoryBytes == 0 || first.MemoryLimitBytes == 0 {
		t.Errorf("Stats = %+v, want a time, memory in use and the host's memory", first)
	}
	var last driver.Stats
	waitFor(t, "the CPU used to rise by 300ms", func() bool {
		last, err = d.Stats(ctx, st.ID)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		return last.CPU >= first.CPU+300*time.Millisecond
	})
	if !last.Time.After(first.Time) {
		t.Errorf("sample times %s then %s", first.Time, last.Time)
	}
	if err := d.Stop(ctx, st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stats(ctx, st.ID); !errors.Is(err, driver.ErrNotRunning) {
		t.Errorf("Stats of an exited container = %v, want ErrNotRunning", err)
	}
	if _, err := d.Stats(ctx, "proc-1-1"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Stats of an unknown container = %v, want ErrNotFound", err)
	}
}

func TestParseProcUsage(t *testing.T) {
	// Fields 4 to 24: ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	// utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss.
	tail := " 7 9 9 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 987654 1000 55"
	tests := []struct {
		in        string
		want      procUsage
		wantError bool
	}{
		{"42 (sleep) S" + tail, procUsage{PID: 42, PPID: 7, Session: 9, Ticks: 110, RSS: 55}, false},
		{"42 (a) b (c)) R" + tail, procUsage{PID: 42, PPID: 7, Session: 9, Ticks: 110, RSS: 55}, false},
		{"42 (x) S 7 9 9 0 -1 4194560 100 0 0 0 -1 22 33 44 20 0 1 0 987654 1000 -5", procUsage{PID: 42, PPID: 7, Session: 9, Ticks: 99}, false},
		{"x (sleep) S" + tail, procUsage{}, true},
		{"42 sleep S" + tail, procUsage{}, true},
		{"42 (sleep) S 1 2", procUsage{}, true},
		{"42 (sleep) S 7 9 9 0 -1 4194560 100 0 0 0 u 22 33 44 20 0 1 0 987654 1000 55", procUsage{}, true},
		{"42 (sleep) S 7 9 s 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 987654 1000 55", procUsage{}, true},
		{"42 (sleep) S 7 9 9 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 987654 1000 r", procUsage{}, true},
		{")42 (", procUsage{}, true},
		{"", procUsage{}, true},
	}
	for _, tt := range tests {
		got, err := parseProcUsage([]byte(tt.in))
		if (err != nil) != tt.wantError || got != tt.want {
			t.Errorf("parseProcUsage(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantError)
		}
	}
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := parseProcUsage(self); err != nil || u.PID != os.Getpid() || u.PPID != os.Getppid() || u.RSS == 0 {
		t.Errorf("parseProcUsage(self) = %+v, %v", u, err)
	}
}

func TestContainerUsage(t *testing.T) {
	procs := []procUsage{
		{PID: 1, PPID: 0, Session: 1, Ticks: 1000, RSS: 1000},  // init
		{PID: 10, PPID: 1, Session: 10, Ticks: 1, RSS: 1},      // the container
		{PID: 11, PPID: 10, Session: 10, Ticks: 2, RSS: 2},     // its child
		{PID: 12, PPID: 11, Session: 99, Ticks: 4, RSS: 4},     // a grandchild in a session of its own
		{PID: 13, PPID: 1, Session: 10, Ticks: 8, RSS: 8},      // an orphan of the session
		{PID: 20, PPID: 1, Session: 20, Ticks: 100, RSS: 100},  // another container
		{PID: 21, PPID: 20, Session: 20, Ticks: 100, RSS: 100}, // and its child
	}
	if ticks, rss := containerUsage(procs, 10, 10); ticks != 15 || rss != 15 {
		t.Errorf("containerUsage = %d ticks, %d pages; want 15, 15", ticks, rss)
	}
	if ticks, _ := containerUsage(procs, 30, 30); ticks != 0 {
		t.Errorf("containerUsage of a gone process = %d ticks, want 0", ticks)
	}
	if hz := clockTicks(); hz == 0 {
		t.Error("clockTicks = 0")
	}
	if got := ticksToDuration(clockTicks()*3 + clockTicks()/2); got != 3500*time.Millisecond {
		t.Errorf("ticksToDuration(3.5 s of ticks) = %s", got)
	}
}

// FuzzParseProcUsage checks that no content of /proc/<pid>/stat makes the parser panic.
func FuzzParseProcUsage(f *testing.F) {
	f.Add([]byte("42 (sleep) S 7 9 9 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 987654 1000 55"))
	f.Add([]byte("1 ((x)) Z 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := parseProcUsage(b)
		if err == nil && (u.PPID < -1<<31 || u.Session < -1<<31) {
			t.Fatalf("parseProcUsage(%q) = %+v: fields out of range", b, u)
		}
	})
}
