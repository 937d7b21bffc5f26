package logs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharf-dev/wharf/internal/store"
)

// allMessages reads every event of a group with FilterLogEvents, through the SDK.
func (e *env) allMessages(group string) []string {
	e.t.Helper()
	var got []string
	p := sdk.NewFilterLogEventsPaginator(e.client, &sdk.FilterLogEventsInput{LogGroupName: aws.String(group)})
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		got = append(got, messagesOf(out.Events, filtMsg)...)
	}
	return got
}

// segments lists the segment files of a group.
func (e *env) segments(group string) []string {
	e.t.Helper()
	var id uint64
	if err := e.s.view(e.ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		id = g.ID
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(e.s.groupDir(id), "*.seg"))
	sort.Strings(files)
	return files
}

// TestRestartKeepsAcknowledgedEvents writes from many goroutines, closes and reopens
// the service over the same data, and finds every acknowledged event, the streams'
// figures and the sequence of new writes intact.
func TestRestartKeepsAcknowledgedEvents(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SegmentBytes = 64 << 10 })
	e.group("g")
	const writers, batches, size = 4, 10, 50
	now := e.now()
	var mu sync.Mutex
	var want []string
	var wg sync.WaitGroup
	for w := range writers {
		e.stream("g", fmt.Sprintf("s%d", w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				msgs := make([]string, size)
				for i := range msgs {
					msgs[i] = fmt.Sprintf("w%d b%02d e%02d %s", w, b, i, strings.Repeat("x", 100))
				}
				evs := events(times(now-100_000+int64(b*size), size, 1), msgs...)
				_, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(fmt.Sprintf("s%d", w)), LogEvents: evs})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want = append(want, msgs...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	before, err := e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.segments("g")); n < 3 {
		t.Fatalf("%d segments; the test wants several", n)
	}

	e.reopen()
	got := e.allMessages("g")
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("after restart %d events, want %d", len(got), len(want))
	}
	after, err := e.client.DescribeLogStreams(e.ctx, &sdk.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range before.LogStreams {
		b, a := before.LogStreams[i], after.LogStreams[i]
		if aws.ToInt64(b.FirstEventTimestamp) != aws.ToInt64(a.FirstEventTimestamp) || aws.ToInt64(b.LastEventTimestamp) != aws.ToInt64(a.LastEventTimestamp) ||
			aws.ToInt64(b.LastIngestionTime) != aws.ToInt64(a.LastIngestionTime) || aws.ToString(b.UploadSequenceToken) != aws.ToString(a.UploadSequenceToken) {
			t.Fatalf("stream figures changed: %+v then %+v", b, a)
		}
	}
	// New events get new event ids.
	e.put("g", "s0", []int64{now}, "after restart")
	out, err := e.client.FilterLogEvents(e.ctx, &sdk.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, ev := range out.Events {
		if ids[aws.ToString(ev.EventId)] {
			t.Fatalf("event id %s twice", aws.ToString(ev.EventId))
		}
		ids[aws.ToString(ev.EventId)] = true
	}
}

// TestTornTailTruncated damages the end of the last segment as a crash during a write
// would, and checks that reopening keeps every complete record, cuts the rest off,
// and appends after them.
func TestTornTailTruncated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
		want   int // events of the last batch left
	}{
		{"half a record", func(t *testing.T, path string, size int64) {
			appendBytes(t, path, appendRecord(nil, rec{seq: 1000, ts: 1, stream: 1}, "torn record")[:20])
		}, 3},
		{"a header only", func(t *testing.T, path string, size int64) {
			appendBytes(t, path, []byte{40, 0, 0, 0, 1, 2, 3})
		}, 3},
		{"zeros from preallocation", func(t *testing.T, path string, size int64) {
			appendBytes(t, path, make([]byte, 4096))
		}, 3},
		{"a bad checksum in the last record", func(t *testing.T, path string, size int64) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte{'#'}, size-1); err != nil {
				t.Fatal(err)
			}
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.group("g")
			e.stream("g", "s")
			now := e.now()
			e.put("g", "s", times(now-10, 2, 1), "one", "two")
			e.put("g", "s", times(now-5, 3, 1), "three", "four", "five")
			segs := e.segments("g")
			last := segs[len(segs)-1]
			fi, _ := os.Stat(last)
			e.close()
			tc.damage(t, last, fi.Size())
			e.open()
			all := []string{"one", "two", "three", "four", "five"}
			if got := e.allMessages("g"); !slices.Equal(got, all[:2+tc.want]) {
				t.Fatalf("after reopening: %v", got)
			}
			if fi2, _ := os.Stat(last); fi2.Size() > fi.Size() {
				t.Fatalf("segment is %d bytes, more than the %d written", fi2.Size(), fi.Size())
			}
			e.put("g", "s", []int64{now}, "six")
			e.reopen()
			if got := e.allMessages("g"); !slices.Equal(got, append(all[:2+tc.want:2+tc.want], "six")) {
				t.Fatalf("after appending and reopening: %v", got)
			}
		})
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// TestOpenCleansUp removes what a crash can leave: a segment file created but never
// written, and the directory of a group whose deletion was committed.
func TestOpenCleansUp(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "s")
	e.put("g", "s", []int64{e.now()}, "kept")
	segs := e.segments("g")
	dir := filepath.Dir(segs[0])
	e.close()
	if err := os.WriteFile(filepath.Join(dir, "00000000000000ff.seg"), []byte("WHR"), 0o600); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(e.cfg.Dir, "00000000000000aa")
	if err := os.MkdirAll(orphan, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan, "0000000000000001.seg"), []byte(segMagic), 0o600); err != nil {
		t.Fatal(err)
	}
	e.open()
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the orphan directory remains: %v", err)
	}
	if got := e.segments("g"); !slices.Equal(got, segs) {
		t.Fatalf("segments %v, want %v", got, segs)
	}
	e.put("g", "s", []int64{e.now()}, "more")
	if got := e.allMessages("g"); !slices.Equal(got, []string{"kept", "more"}) {
		t.Fatalf("events: %v", got)
	}
	// A file that is not a segment is refused rather than overwritten.
	e.close()
	if err := os.WriteFile(segs[0], []byte("not a segment at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(e.dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := New(db, e.cfg); err == nil || !strings.Contains(err.Error(), "not a Wharf log segment") {
		t.Fatalf("New over a foreign file: %v", err)
	}
}

// TestRetention checks that expired events disappear from reads at once and that the
// retention sweep deletes the segments holding only expired events.
func TestRetention(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RetentionInterval = time.Hour })
	e.s.swept = make(chan struct{}, 1)
	e.group("g")
	e.group("forever")
	e.stream("g", "s")
	e.stream("forever", "s")
	if _, err := e.client.PutRetentionPolicy(e.ctx, &sdk.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	t0 := e.now()
	e.put("g", "s", []int64{t0 - 1000}, "old")
	e.put("forever", "s", []int64{t0 - 1000}, "old")
	// Segments seal after an hour: this one starts a new segment.
	e.clock.Advance(20 * time.Hour)
	e.put("g", "s", []int64{e.now()}, "new")
	if n := len(e.segments("g")); n != 2 {
		t.Fatalf("%d segments, want 2", n)
	}
	e.clock.Advance(5 * time.Hour) // "old" is now 25 hours old
	if got := e.allMessages("g"); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("events once one expired: %v", got)
	}
	out, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("GetLogEvents once one expired: %v %+v", err, out)
	}

	// Run deletes the expired segment when the clock says it is time.
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error)
	go func() { done <- e.s.Run(ctx) }()
	for swept := false; !swept; {
		e.clock.Advance(time.Hour)
		select {
		case <-e.s.swept:
			swept = true
		case <-time.After(20 * time.Millisecond): // Run was not waiting yet
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(e.segments("g")); n != 1 {
		t.Fatalf("%d segments after the sweep, want 1", n)
	}
	if n := len(e.segments("forever")); n != 1 {
		t.Fatalf("a group without retention lost segments: %d", n)
	}
	if got := e.allMessages("forever"); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("group without retention: %v", got)
	}
	// Writing after the sweep starts a new segment; the expired one stays gone after a
	// restart.
	e.put("g", "s", []int64{e.now()}, "newer")
	e.reopen()
	if got := e.allMessages("g"); !slices.Equal(got, []string{"new", "newer"}) {
		t.Fatalf("after restart: %v", got)
	}
	// Everything expires in the end, the open segment too.
	e.clock.Advance(3 * day)
	e.s.sweep()
	if n := len(e.segments("g")); n != 0 {
		t.Fatalf("%d segments once everything expired", n)
	}
	e.put("g", "s", []int64{e.now()}, "fresh")
	if got := e.allMessages("g"); !slices.Equal(got, []string{"fresh"}) {
		t.Fatalf("after everything expired: %v", got)
	}
}

// TestConcurrentWritersOneStream checks that concurrent PutLogEvents calls to one
// stream all land, and that GetLogEvents returns them in time order.
func TestConcurrentWritersOneStream(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	e.stream("g", "s")
	now := e.now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 5 {
				ts := now - int64(w*1000+b*100)
				msgs := make([]string, 20)
				for i := range msgs {
					msgs[i] = fmt.Sprintf("%d", ts)
				}
				if _, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
					LogEvents: events(slices.Repeat([]int64{ts}, 20), msgs...)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	out, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 8*5*20 {
		t.Fatalf("%d events, want %d", len(out.Events), 8*5*20)
	}
	if !slices.IsSortedFunc(out.Events, func(a, b types.OutputLogEvent) int { return compareInt(*a.Timestamp, *b.Timestamp) }) {
		t.Fatal("events are not in time order")
	}
}

// TestReadWhileWriting reads with FilterLogEvents and GetLogEvents while writers
// append, seal segments and create streams (run it with -race): every read sees a
// consistent prefix of each stream.
func TestReadWhileWriting(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SegmentBytes = 16 << 10 })
	e.group("g")
	now := e.now()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		name := fmt.Sprintf("s%d", w)
		e.stream("g", name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < 40; b++ {
				msgs := make([]string, 25)
				for i := range msgs {
					msgs[i] = fmt.Sprintf("%s %04d", name, b*25+i)
				}
				if _, err := e.client.PutLogEvents(e.ctx, &sdk.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(name),
					LogEvents: events(times(now-100_000+int64(b*25), 25, 1), msgs...)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	readers := make(chan error, 2)
	go func() {
		for {
			select {
			case <-stop:
				readers <- nil
				return
			default:
			}
			out, err := e.client.GetLogEvents(e.ctx, &sdk.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s1"), StartFromHead: aws.Bool(true)})
			if err != nil {
				readers <- err
				return
			}
			for i, ev := range out.Events {
				if want := fmt.Sprintf("s1 %04d", i); aws.ToString(ev.Message) != want {
					readers <- fmt.Errorf("event %d of s1 is %q, want %q", i, aws.ToString(ev.Message), want)
					return
				}
			}
		}
	}()
	go func() {
		for {
			select {
			case <-stop:
				readers <- nil
				return
			default:
			}
			if _, err := e.client.FilterLogEvents(e.ctx, &sdk.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String("s2")}); err != nil {
				readers <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	for range 2 {
		if err := <-readers; err != nil {
			t.Fatal(err)
		}
	}
	if got := e.allMessages("g"); len(got) != 3*40*25 {
		t.Fatalf("%d events, want %d", len(got), 3*40*25)
	}
}
