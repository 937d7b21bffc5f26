package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/driver"
)

func TestParseAWSLogs(t *testing.T) {
	tests := []struct {
		name    string
		opts    map[string]string
		want    awslogsConfig // pattern compared by its source
		pattern string
		err     string // a substring of the error; "" for none
	}{
		{"defaults", map[string]string{"awslogs-group": "g", "awslogs-region": "us-east-1"},
			awslogsConfig{group: "g", bufferSize: 10 << 20}, "", ""},
		{"everything", map[string]string{
			"awslogs-group": "/ecs/app", "awslogs-stream-prefix": "web", "awslogs-create-group": "true",
			"mode": "non-blocking", "max-buffer-size": "25m", "awslogs-multiline-pattern": "^INFO", "tag": "x",
		}, awslogsConfig{group: "/ecs/app", streamPrefix: "web", createGroup: true, bufferSize: 25 << 20}, "^INFO", ""},
		{"blocking", map[string]string{"awslogs-group": "g", "mode": "blocking", "awslogs-create-group": "false"},
			awslogsConfig{group: "g", blocking: true, bufferSize: 10 << 20}, "", ""},
		{"datetime wins", map[string]string{"awslogs-group": "g", "awslogs-datetime-format": "%H:%M", "awslogs-multiline-pattern": "^INFO"},
			awslogsConfig{group: "g", bufferSize: 10 << 20}, strftimeRegexp("%H:%M"), ""},
		{"no group", map[string]string{"awslogs-region": "us-east-1"}, awslogsConfig{}, "", "must specify a value for log opt 'awslogs-group'"},
		{"bad create-group", map[string]string{"awslogs-group": "g", "awslogs-create-group": "yes"}, awslogsConfig{}, "", "'awslogs-create-group'"},
		{"bad mode", map[string]string{"awslogs-group": "g", "mode": "fast"}, awslogsConfig{}, "", "logging mode not supported"},
		{"buffer with blocking", map[string]string{"awslogs-group": "g", "mode": "blocking", "max-buffer-size": "1m"}, awslogsConfig{}, "", "only supported with 'mode=non-blocking'"},
		{"bad buffer", map[string]string{"awslogs-group": "g", "max-buffer-size": "lots"}, awslogsConfig{}, "", "max-buffer-size"},
		{"unknown option", map[string]string{"awslogs-group": "g", "awslogs-colour": "red"}, awslogsConfig{}, "", "unknown log opt 'awslogs-colour'"},
		{"bad pattern", map[string]string{"awslogs-group": "g", "awslogs-multiline-pattern": "(["}, awslogsConfig{}, "", "multiline pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAWSLogs(tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseAWSLogs = %v, want an error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAWSLogs: %v", err)
			}
			pattern := ""
			if got.pattern != nil {
				pattern = got.pattern.String()
			}
			got.pattern = nil
			if got != tt.want || pattern != tt.pattern {
				t.Errorf("parseAWSLogs = %+v pattern %q, want %+v pattern %q", got, pattern, tt.want, tt.pattern)
			}
		})
	}
}

func TestStrftimeRegexp(t *testing.T) {
	tests := []struct {
		format string
		line   string
		match  bool
	}{
		{"%Y-%m-%d %H:%M:%S", "2024-01-31 23:59:07 request done", true},
		{"%Y-%m-%d %H:%M:%S", "    at com.example.Main(Main.java:12)", false},
		{"%Y-%m-%d %H:%M:%S", "2024-13-01 10:00:00 bad month", false},
		{`\[%b %d, %Y %H:%M:%S\]`, "[May 01, 2017 19:00:01] A message was logged", true},
		{`\[%b %d, %Y %H:%M:%S\]`, "May 01, 2017 19:00:01 no brackets", false},
		{"%a %A %w %B %y %I %p %f %z %Z %j %L", "Mon Monday 1 January 24 11 PM 123456 +0100 CEST 365 .123", true},
		{"%H:%M%Q", "12:30 unknown sequences are removed", true},
	}
	for _, tt := range tests {
		re := strftimeRegexp(tt.format)
		cfg, err := parseAWSLogs(map[string]string{"awslogs-group": "g", "awslogs-datetime-format": tt.format})
		if err != nil {
			t.Fatalf("format %q: %v", tt.format, err)
		}
		if got := cfg.pattern.MatchString(tt.line); got != tt.match {
			t.Errorf("format %q (%s) matches %q: %v, want %v", tt.format, re, tt.line, got, tt.match)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"1", 1}, {"1024", 1024}, {"1k", 1 << 10}, {"1K", 1 << 10}, {"25m", 25 << 20}, {"25MB", 25 << 20},
		{"25MiB", 25 << 20}, {"2.5m", 5 << 19}, {"1g", 1 << 30}, {"1 g", 1 << 30}, {"1t", 1 << 40},
		{"", -1}, {"0", -1}, {"-1", -1}, {"m", -1}, {"1x", -1}, {"2t", -1}, {"1.5.5m", -1}, {"1e9", -1},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.want < 0 {
			if err == nil {
				t.Errorf("parseSize(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseAWSLogs checks that no options of a task definition make the parser panic,
// and that a valid configuration is usable.
func FuzzParseAWSLogs(f *testing.F) {
	f.Add("g", "web", "true", "non-blocking", "25m", "^INFO", "%Y-%m-%d")
	f.Add("", "", "maybe", "fast", "1x", "([", "%Q[")
	f.Fuzz(func(t *testing.T, group, prefix, create, mode, size, pattern, datetime string) {
		opts := map[string]string{"awslogs-group": group, "awslogs-stream-prefix": prefix, "awslogs-create-group": create,
			"mode": mode, "max-buffer-size": size, "awslogs-multiline-pattern": pattern, "awslogs-datetime-format": datetime}
		for k, v := range opts {
			if v == "" {
				delete(opts, k)
			}
		}
		cfg, err := parseAWSLogs(opts)
		if err != nil {
			return
		}
		if cfg.group == "" || cfg.bufferSize < 1 {
			t.Fatalf("parseAWSLogs(%q) = %+v: no group or no buffer", opts, cfg)
		}
		if cfg.pattern != nil {
			cfg.pattern.MatchString("2024-01-01 line")
		}
	})
}

func TestStreamName(t *testing.T) {
	const arn = "arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef"
	if got := streamName("web", "app", arn, "proc-1-2"); got != "web/app/0123456789abcdef" {
		t.Errorf("with a prefix: %q", got)
	}
	if got := streamName("", "app", arn, "3f4e5d"); got != "3f4e5d" {
		t.Errorf("without a prefix: %q, want the runtime id", got)
	}
}

// putRecords runs records through an assembler and returns the lines it puts.
func putRecords(recs []driver.LogRecord) []logLine {
	var out []logLine
	a := assembler{put: func(l logLine) error { out = append(out, l); return nil }}
	for _, r := range recs {
		if err := a.record(r); err != nil {
			panic(err)
		}
	}
	a.finish()
	return out
}

func TestAssembler(t *testing.T) {
	t0 := time.Unix(1000, 0)
	rec := func(stream, data, cursor string, sec int) driver.LogRecord {
		return driver.LogRecord{Stream: stream, Data: []byte(data), Cursor: cursor, Time: t0.Add(time.Duration(sec) * time.Second)}
	}
	out, errs := driver.StreamStdout, driver.StreamStderr
	lines := putRecords([]driver.LogRecord{
		rec(out, "a\n", "1", 1),
		rec(out, "long ", "2", 2), // a line in parts, interleaved with stderr
		rec(errs, "e1\n", "3", 3),
		rec(out, "line\n", "4", 4),
		rec(errs, "\n", "5", 5),
		rec(out, "no newline", "6", 6),
	})
	type got struct {
		text, cursor string
		sec          int64
	}
	want := []got{
		{"a", "1", 1001},
		{"e1", "", 1003}, // stdout's line began before: no resuming after it
		{"long line", "4", 1002},
		{"", "5", 1005},
		{"no newline", "6", 1006},
	}
	if len(lines) != len(want) {
		t.Fatalf("assembler put %d lines, want %d: %+v", len(lines), len(want), lines)
	}
	for i, l := range lines {
		if g := (got{string(l.text), l.cursor, l.time.Unix()}); g != want[i] || l.cont {
			t.Errorf("line %d = %+v (cont %v), want %+v", i, g, l.cont, want[i])
		}
	}

	// A line longer than a piece comes in pieces, cut between characters.
	long := strings.Repeat("€", maxLinePiece/3+10)
	var recs []driver.LogRecord
	for i := 0; i < len(long); i += 16 << 10 {
		recs = append(recs, rec(out, long[i:min(len(long), i+16<<10)], fmt.Sprint(i), 0))
	}
	recs = append(recs, rec(out, "\n", "end", 0))
	lines = putRecords(recs)
	if len(lines) != 2 || lines[0].cont || !lines[1].cont || lines[0].cursor != "" || lines[1].cursor != "end" {
		t.Fatalf("a long line became %d lines: %+v", len(lines), describe(lines))
	}
	if string(lines[0].text)+string(lines[1].text) != long || !utf8.Valid(lines[0].text) || len(lines[0].text) > maxLinePiece {
		t.Errorf("the pieces of a long line (%d and %d bytes) do not make it up, or cut a character", len(lines[0].text), len(lines[1].text))
	}
}

func describe(lines []logLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, fmt.Sprintf("%d bytes cont=%v cursor=%q", len(l.text), l.cont, l.cursor))
	}
	return out
}

// groupLines runs lines through a grouper and returns the events.
func groupLines(t *testing.T, pattern string, lines ...logLine) []event {
	t.Helper()
	g := grouper{}
	if pattern != "" {
		cfg, err := parseAWSLogs(map[string]string{"awslogs-group": "g", "awslogs-multiline-pattern": pattern})
		if err != nil {
			t.Fatal(err)
		}
		g.pattern = cfg.pattern
	}
	var out []event
	emit := func(e event) bool { out = append(out, e); return true }
	for _, l := range lines {
		g.add(l, emit)
	}
	g.flush(emit)
	return out
}

func line(text, cursor string) logLine { return logLine{text: []byte(text), cursor: cursor} }

func TestGrouper(t *testing.T) {
	messages := func(evs []event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Message)
		}
		return out
	}
	// One event per line; empty lines make none.
	evs := groupLines(t, "", line("a", "1"), line("", "2"), line("b", "3"))
	if got := messages(evs); strings.Join(got, "|") != "a|b" || evs[1].cursor != "3" || evs[1].lines != 1 {
		t.Errorf("events %q (%+v), want a, b", got, evs)
	}
	// Multiline: a matching line starts an event; each line ends with a newline.
	evs = groupLines(t, `^\d{4}-`,
		line("  orphan", "1"), line("2024-01-01 start", "2"), line("  at a", "3"), line("  at b", "4"), line("2024-01-02 next", "5"), line("", "6"))
	want := []string{"  orphan\n", "2024-01-01 start\n  at a\n  at b\n", "2024-01-02 next\n\n"}
	if got := messages(evs); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("multiline events %q, want %q", got, want)
	}
	if evs[1].lines != 3 || evs[1].cursor != "4" || evs[2].cursor != "6" {
		t.Errorf("multiline event lines/cursor = %d %q, %q", evs[1].lines, evs[1].cursor, evs[2].cursor)
	}
	// A line too long for an event is cut between characters; invalid UTF-8 becomes
	// U+FFFD.
	long := strings.Repeat("a", 600000)
	euro := strings.Repeat("€", 100000)
	evs = groupLines(t, "", line(long, "1"), line(euro, "2"), line("bad \xff byte", "3"))
	var sizes []int
	for _, e := range evs {
		sizes = append(sizes, len(e.Message))
	}
	wantSizes := []int{maxEventBytes, maxEventBytes, 600000 - 2*maxEventBytes, maxEventBytes - maxEventBytes%3, 300000 - (maxEventBytes - maxEventBytes%3), len("bad \uFFFD byte")}
	if fmt.Sprint(sizes) != fmt.Sprint(wantSizes) {
		t.Fatalf("event sizes %v, want %v", sizes, wantSizes)
	}
	if evs[0].cursor != "" || evs[2].cursor != "1" || evs[3].cursor != "" || evs[4].cursor != "2" || evs[5].Message != "bad \uFFFD byte" {
		t.Errorf("cut events: cursors %q %q %q %q, last %q", evs[0].cursor, evs[2].cursor, evs[3].cursor, evs[4].cursor, evs[5].Message)
	}
	if evs[3].Message+evs[4].Message != euro {
		t.Error("the events of the € line do not make it up")
	}
	// Multiline events are cut at the event limit too.
	evs = groupLines(t, "^START", line("START", "1"), line(long[:maxEventBytes-3], "2"), line("tail", "3"))
	if got := messages(evs); len(got) != 3 || got[0] != "START\n" || got[1] != long[:maxEventBytes-3]+"\n" || got[2] != "tail\n" {
		t.Errorf("a multiline event past the limit: %d events", len(got))
	}
}

// FuzzGrouper checks that any output makes valid events: UTF-8, within the limit,
// not empty, and, one per line, the line itself.
func FuzzGrouper(f *testing.F) {
	f.Add([]byte("a\nb\n\xff\xfe\n€€€"), "")
	f.Add([]byte("2024 x\n at\n2025 y"), "^20")
	f.Fuzz(func(t *testing.T, out []byte, pattern string) {
		cfg, err := parseAWSLogs(map[string]string{"awslogs-group": "g", "awslogs-multiline-pattern": pattern})
		if err != nil {
			return
		}
		g := grouper{pattern: cfg.pattern}
		var evs []event
		emit := func(e event) bool { evs = append(evs, e); return true }
		var lines []string
		for _, l := range bytes.Split(out, []byte{'\n'}) {
			g.add(logLine{text: l}, emit)
			lines = append(lines, string(validUTF8(l)))
		}
		g.flush(emit)
		var nonEmpty []string
		for _, l := range lines {
			if l != "" {
				nonEmpty = append(nonEmpty, l)
			}
		}
		for _, e := range evs {
			if e.Message == "" || len(e.Message) > maxEventBytes || !utf8.ValidString(e.Message) {
				t.Fatalf("invalid event %q", e.Message)
			}
		}
		if cfg.pattern == nil && len(evs) != len(nonEmpty) {
			t.Fatalf("%d events for %d non-empty lines", len(evs), len(nonEmpty))
		}
	})
}

func TestBatchLimits(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ev := func(msg string, at time.Time) event { return event{LogEvent: LogEvent{Timestamp: at, Message: msg}} }
	var b batch
	for b.len() < maxBatchEvents {
		if !b.fits(ev("x", t0)) {
			t.Fatalf("the batch is full at %d events", b.len())
		}
		b.add(ev("x", t0))
	}
	if b.fits(ev("x", t0)) {
		t.Error("a batch takes more than 10,000 events")
	}
	b.reset()
	big := strings.Repeat("b", maxEventBytes)
	b.add(ev(big, t0))
	b.add(ev(big, t0))
	b.add(ev(big, t0))
	if rest := maxBatchBytes - b.bytes - eventOverhead; !b.fits(ev(strings.Repeat("c", rest), t0)) || b.fits(ev(strings.Repeat("c", rest+1), t0)) {
		t.Errorf("the byte limit is not 1,048,576 with 26 bytes per event (batch at %d bytes)", b.bytes)
	}
	b.reset()
	b.add(ev("late", t0.Add(time.Hour)))
	if !b.fits(ev("early", t0.Add(time.Hour-maxBatchSpan))) || b.fits(ev("too early", t0.Add(time.Hour-maxBatchSpan-time.Millisecond))) ||
		b.fits(ev("too late", t0.Add(time.Hour+maxBatchSpan+time.Millisecond))) {
		t.Error("the span of a batch is not limited to 24 hours")
	}
	b.add(ev("earlier", t0))
	b.add(ev("same", t0))
	got := b.sorted()
	if got[0].Message != "earlier" || got[1].Message != "same" || got[2].Message != "late" {
		t.Errorf("sorted = %+v, want chronological, stable", got)
	}
}

func TestLineQueue(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	t.Run("non-blocking", func(t *testing.T) {
		c := &logCounters{}
		q := &lineQueue{max: 10, counters: c, log: log, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
		for i := range 20 {
			if err := q.put(ctx, line(fmt.Sprintf("%03d", i), "")); err != nil {
				t.Fatal(err)
			}
		}
		// 3 lines of 3 bytes fit in 10; a first line always fits.
		got, closed := q.take(nil, 100, 100)
		if len(got) != 3 || closed || c.dropped.Load() != 17 {
			t.Fatalf("took %d lines (closed %v), %d dropped; want 3 and 17", len(got), closed, c.dropped.Load())
		}
		if err := q.put(ctx, line(strings.Repeat("x", 50), "")); err != nil || c.dropped.Load() != 17 {
			t.Errorf("a line larger than the buffer was dropped although the buffer was empty")
		}
		q.close()
		if got, closed := q.take(nil, 100, 100); len(got) != 1 || !closed {
			t.Errorf("take after close = %d lines, closed %v; want the last line, and closed", len(got), closed)
		}
		if _, closed := q.take(nil, 100, 100); !closed {
			t.Error("an empty closed queue is not closed")
		}
	})
	t.Run("blocking", func(t *testing.T) {
		c := &logCounters{}
		q := &lineQueue{max: 10, blocking: true, counters: c, log: log, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
		for range 3 {
			q.put(ctx, line("abc", ""))
		}
		done := make(chan error, 1)
		go func() { done <- q.put(ctx, line("def", "")) }()
		select {
		case err := <-done:
			t.Fatalf("put into a full blocking queue returned %v", err)
		default:
		}
		got, _ := q.take(nil, 2, 100)
		if len(got) != 2 {
			t.Fatalf("took %d lines, want 2", len(got))
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got, _ = q.take(nil, 100, 100)
		if len(got) != 2 || string(got[1].text) != "def" || c.dropped.Load() != 0 {
			t.Errorf("the queue holds %d lines (last %q), %d dropped; want abc, def and none", len(got), got[len(got)-1].text, c.dropped.Load())
		}
		for range 3 {
			q.put(ctx, line("abc", ""))
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := q.put(cctx, line("ghi", "")); !errors.Is(err, context.Canceled) {
			t.Errorf("put with a cancelled context = %v", err)
		}
		if n := q.discard(); n != 3 {
			t.Errorf("discard = %d, want 3", n)
		}
	})
}

func TestErrorKind(t *testing.T) {
	notFound := &awsapi.Error{Code: "ResourceNotFoundException", Message: "The specified log group does not exist."}
	if got := errorKind(fmt.Errorf("append: %w", notFound)); got != "ResourceNotFoundException" {
		t.Errorf("errorKind = %q", got)
	}
	var e errorOnce
	if !e.first(notFound) || e.first(&awsapi.Error{Code: "ResourceNotFoundException", Message: "other words"}) || !e.first(errors.New("boom")) || !e.seen() {
		t.Error("errorOnce does not tell the first error of each kind")
	}
}
