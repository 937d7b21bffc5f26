package docker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// collected is the output of StreamLogs, reassembled into lines per stream.
type collected struct {
	records []driver.LogRecord // Data copied
	lines   map[string][]string
	partial map[string]string
}

func collect(recs []driver.LogRecord) collected {
	c := collected{records: recs, lines: map[string][]string{}, partial: map[string]string{}}
	for _, r := range recs {
		cur := c.partial[r.Stream] + string(r.Data)
		if line, ok := strings.CutSuffix(cur, "\n"); ok {
			c.lines[r.Stream] = append(c.lines[r.Stream], line)
			cur = ""
		}
		c.partial[r.Stream] = cur
	}
	return c
}

// streamAll reads the logs of id from cursor and returns the records.
func streamAll(t *testing.T, d *Driver, id, cursor string, follow bool) []driver.LogRecord {
	t.Helper()
	var recs []driver.LogRecord
	err := d.StreamLogs(testCtx(t), id, cursor, follow, func(r driver.LogRecord) error {
		r.Data = bytes.Clone(r.Data)
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("StreamLogs(%s, %q): %v", id, cursor, err)
	}
	return recs
}

func TestStreamLogs(t *testing.T) {
	t.Parallel()
	d := engine(t)
	const n = 20000
	st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{"lines", fmt.Sprint(n)}})
	// Following from the start returns once the container exited, with everything.
	recs := streamAll(t, d, st.ID, "", true)
	got := collect(recs)
	var wantOut, wantErr []string
	for i := 1; i <= n; i++ {
		wantOut = append(wantOut, fmt.Sprintf("out %d", i))
		wantErr = append(wantErr, fmt.Sprintf("err %d", i))
	}
	wantOut = append(wantOut, strings.Repeat("x", 40000))
	if !equalLines(got.lines[driver.StreamStdout], wantOut) {
		t.Errorf("stdout: %d lines, want %d (%q ... )", len(got.lines[driver.StreamStdout]), len(wantOut), head(got.lines[driver.StreamStdout]))
	}
	if !equalLines(got.lines[driver.StreamStderr], wantErr) {
		t.Errorf("stderr: %d lines, want %d (%q ... )", len(got.lines[driver.StreamStderr]), len(wantErr), head(got.lines[driver.StreamStderr]))
	}
	if got.partial[driver.StreamStdout] != "tail" {
		t.Errorf("the output ends with %q, want \"tail\" without a newline", got.partial[driver.StreamStdout])
	}
	for _, r := range recs {
		if len(r.Data) > 16<<10 {
			t.Fatalf("a record of %d bytes: Docker cuts lines at 16 KiB", len(r.Data))
		}
		if r.Time.IsZero() || r.Cursor == "" {
			t.Fatalf("record %+v has no time or no cursor", r)
		}
	}
	// Resuming at any cursor gives exactly the records after it.
	for _, k := range []int{0, 1, len(recs) / 2, len(recs) - 2, len(recs) - 1} {
		rest := streamAll(t, d, st.ID, recs[k].Cursor, false)
		if len(rest) != len(recs)-k-1 {
			t.Fatalf("from the cursor of record %d: %d records, want %d", k, len(rest), len(recs)-k-1)
		}
		for i, r := range rest {
			want := recs[k+1+i]
			if r.Stream != want.Stream || !bytes.Equal(r.Data, want.Data) || r.Cursor != want.Cursor {
				t.Fatalf("from the cursor of record %d, record %d = %s %q %s, want %s %q %s", k, i, r.Stream, r.Data, r.Cursor, want.Stream, want.Data, want.Cursor)
			}
		}
	}
	// An error from the callback ends the stream with it.
	stop := errors.New("enough")
	err := d.StreamLogs(testCtx(t), st.ID, "", false, func(driver.LogRecord) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("StreamLogs with a failing callback = %v, want its error", err)
	}
	if err := d.StreamLogs(testCtx(t), st.ID, "bogus", false, func(driver.LogRecord) error { return nil }); err == nil {
		t.Error("StreamLogs with an invalid cursor succeeded")
	}
	err = d.StreamLogs(testCtx(t), "wharf-test-no-such-container-"+runID, "", false, func(driver.LogRecord) error { return nil })
	if !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("StreamLogs of an unknown container = %v, want ErrNotFound", err)
	}
}

func equalLines(got, want []string) bool { return slices.Equal(got, want) }

func head(lines []string) []string {
	out := slices.Clone(lines[:min(len(lines), 3)])
	for i, l := range out {
		if len(l) > 40 {
			out[i] = l[:40] + "..."
		}
	}
	return out
}

func TestStats(t *testing.T) {
	t.Parallel()
	d := engine(t)
	st := mustStart(t, d, driver.Spec{Name: containerName(t, ""), Command: []string{"burn"}, MemoryMiB: 64})
	ctx := testCtx(t)
	first, err := d.Stats(ctx, st.ID)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if first.Time.IsZero() || first.MemoryBytes == 0 || first.MemoryLimitBytes != 64<<20 {
		t.Errorf("Stats = %+v, want a time, memory in use, and the 64 MiB limit", first)
	}
	var last driver.Stats
	deadline := time.Now().Add(20 * time.Second)
	for {
		last, err = d.Stats(ctx, st.ID)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if last.CPU >= first.CPU+200*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU went from %s to %s in 20 s of burning", first.CPU, last.CPU)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !last.Time.After(first.Time) {
		t.Errorf("sample times %s then %s", first.Time, last.Time)
	}
	if err := d.Stop(ctx, st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stats(ctx, st.ID); !errors.Is(err, driver.ErrNotRunning) {
		t.Errorf("Stats of a stopped container = %v, want ErrNotRunning", err)
	}
	if _, err := d.Stats(ctx, "wharf-test-no-such-container-"+runID); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Stats of an unknown container = %v, want ErrNotFound", err)
	}
}

// frame builds one frame of a multiplexed log stream.
func frame(stream byte, payload string) []byte {
	b := make([]byte, 8, 8+len(payload))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

// logEntry is an entry of a synthetic container log.
type logEntry struct {
	stream byte
	ts     time.Time
	data   string
}

// replay encodes the entries of log at or after since, as the engine replays a log.
func replay(log []logEntry, since time.Time) []byte {
	var b bytes.Buffer
	for _, e := range log {
		if !since.IsZero() && e.ts.Before(since) {
			continue
		}
		b.Write(frame(e.stream, e.ts.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")+" "+e.data))
	}
	return b.Bytes()
}

// TestDemux checks reading a multiplexed stream, and that resuming at the cursor of
// any record gives exactly the records after it, although the times are in order only
// within each stream and some are equal (the parts of a long line).
func TestDemux(t *testing.T) {
	d := &Driver{log: slog.New(slog.DiscardHandler)}
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	at := func(ns int) time.Time { return t0.Add(time.Duration(ns)) }
	log := []logEntry{
		{frameStdout, at(1), "a\n"},
		{frameStderr, at(3), "e1\n"},
		{frameStderr, at(4), "e2\n"},
		{frameStdout, at(2), "b\n"}, // stamped before e1, written after e2
		{frameStdout, at(5), "long "},
		{frameStdout, at(5), "long "},
		{frameStdout, at(5), "line\n"},
		{frameStderr, at(5), "e3\n"},
		{frameStderr, at(9), "e4\n"},
		{frameStdout, at(6), "c\n"},
		{frameStdout, at(7), "tail"},
	}
	read := func(pos position) []driver.LogRecord {
		var out []driver.LogRecord
		err := d.demux(bytes.NewReader(replay(log, pos.since())), pos, func(r driver.LogRecord) error {
			r.Data = bytes.Clone(r.Data)
			out = append(out, r)
			return nil
		})
		if err != nil {
			t.Fatalf("demux: %v", err)
		}
		return out
	}
	all := read(position{})
	if len(all) != len(log) {
		t.Fatalf("%d records, want %d", len(all), len(log))
	}
	for i, r := range all {
		want := log[i]
		if string(r.Data) != want.data || !r.Time.Equal(want.ts) || (r.Stream == driver.StreamStderr) != (want.stream == frameStderr) {
			t.Errorf("record %d = %s %q at %s, want %q at %s", i, r.Stream, r.Data, r.Time, want.data, want.ts)
		}
	}
	for k, r := range all {
		pos, err := parseCursor(r.Cursor)
		if err != nil {
			t.Fatalf("cursor %q: %v", r.Cursor, err)
		}
		rest := read(pos)
		var got, want []string
		for _, r := range rest {
			got = append(got, string(r.Data))
		}
		for _, r := range all[k+1:] {
			want = append(want, string(r.Data))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("after record %d (cursor %s): %q, want %q", k, r.Cursor, got, want)
		}
		for i, r2 := range rest {
			if r2.Cursor != all[k+1+i].Cursor {
				t.Errorf("after record %d, record %d has cursor %s, want %s", k, i, r2.Cursor, all[k+1+i].Cursor)
			}
		}
	}

	var stream bytes.Buffer
	stream.Write(frame(frameSystem, "Error grabbing logs: boom\n"))
	stream.Write(frame(frameStdout, "2024-05-01T10:00:00Z ok\n"))
	var n int
	if err := d.demux(&stream, position{}, func(driver.LogRecord) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("demux with an engine error frame: %d records, %v; want the record after it", n, err)
	}
	for _, bad := range [][]byte{
		frame(frameStdout, "no-timestamp-here"),
		frame(frameStdout, "yesterday hello\n"),
		frame(7, "2024-05-01T10:00:00Z x\n"),
		append(frame(frameStdout, "2024-05-01T10:00:00Z x\n")[:8], 'x'), // truncated payload
		{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},                            // oversized frame
	} {
		err := d.demux(bytes.NewReader(bad), position{}, func(driver.LogRecord) error { return nil })
		if err == nil {
			t.Errorf("demux(%q) succeeded", bad)
		}
	}
	for _, bad := range []string{"x", "1:1", "1:1:1", "1:0:0:0", "0:1:0:0", "1:-1:0:0", "a:1:0:0"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) succeeded", bad)
		}
	}
}

// FuzzDemux feeds arbitrary bytes to the log stream reader: it fails or hands over
// records, and never panics.
func FuzzDemux(f *testing.F) {
	f.Add(frame(frameStdout, "2024-05-01T10:00:00.000000001Z a\n"), "")
	f.Add(frame(frameStderr, "2024-05-01T10:00:00Z b"), "1714557600000000000:1:0:0")
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 1, 'x'}, "5:5:6:1")
	d := &Driver{log: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, stream []byte, cursor string) {
		pos, err := parseCursor(cursor)
		if err != nil {
			return
		}
		_ = d.demux(bytes.NewReader(stream), pos, func(r driver.LogRecord) error {
			if r.Stream != driver.StreamStdout && r.Stream != driver.StreamStderr {
				t.Fatalf("record of stream %q", r.Stream)
			}
			if _, err := parseCursor(r.Cursor); err != nil {
				t.Fatalf("record cursor %q does not parse: %v", r.Cursor, err)
			}
			return nil
		})
	})
}
