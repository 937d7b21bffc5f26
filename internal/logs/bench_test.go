package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharf-dev/wharf/internal/clocktest"
	"github.com/wharf-dev/wharf/internal/store"
)

// benchService is a Service on a fresh store and directory with a fake clock, and a
// group "bench" with the given streams.
func benchService(b *testing.B, streams int) *Service {
	b.Helper()
	dir := b.TempDir()
	db, err := store.Open(filepath.Join(dir, "wharf.db"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(db, Config{Dir: filepath.Join(dir, "logs"), Clock: clocktest.New(testStart),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close()
		db.Close()
	})
	ctx := context.Background()
	if _, err := s.CreateLogGroup(ctx, &CreateLogGroupInput{LogGroupName: ptr("bench")}); err != nil {
		b.Fatal(err)
	}
	for i := range streams {
		if _, err := s.CreateLogStream(ctx, &CreateLogStreamInput{LogGroupName: ptr("bench"), LogStreamName: ptr(fmt.Sprintf("s%03d", i))}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// batch returns n events of size bytes, timestamped now, the i-th message carrying
// mark when i%every == 0 (every > 0).
func batch(n, size int, now int64, mark string, every int, seq *int) []InputLogEvent {
	evs := make([]InputLogEvent, n)
	for i := range evs {
		*seq++
		msg := fmt.Sprintf("%010d level=info path=/api/items status=200 ", *seq)
		if every > 0 && *seq%every == 0 {
			msg += mark + " "
		}
		msg += strings.Repeat("x", max(0, size-len(msg)))
		ts := now
		evs[i] = InputLogEvent{Message: &msg, Timestamp: &ts}
	}
	return evs
}

// BenchmarkPutLogEvents stores 1,000-event batches of 100-byte events, each durable
// before the call returns. Goal: ≥ 100,000 events/s.
func BenchmarkPutLogEvents(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s := benchService(b, 1)
		seq := 0
		in := &PutLogEventsInput{LogGroupName: ptr("bench"), LogStreamName: ptr("s000"), LogEvents: batch(1000, 100, testStart.UnixMilli(), "", 0, &seq)}
		ctx := context.Background()
		b.SetBytes(1000 * 100)
		b.ResetTimer()
		for range b.N {
			if _, err := s.PutLogEvents(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "events/s")
	})
	for _, p := range []int{1, 4} {
		b.Run(fmt.Sprintf("parallel-%dxGOMAXPROCS", p), func(b *testing.B) {
			s := benchService(b, 64)
			ctx := context.Background()
			var next atomic.Int32
			b.SetBytes(1000 * 100)
			b.SetParallelism(p)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				seq := 0
				stream := fmt.Sprintf("s%03d", next.Add(1)%64)
				in := &PutLogEventsInput{LogGroupName: ptr("bench"), LogStreamName: &stream, LogEvents: batch(1000, 100, testStart.UnixMilli(), "", 0, &seq)}
				for pb.Next() {
					if _, err := s.PutLogEvents(ctx, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkFilterLogEvents searches 1,000,000 stored 100-byte events in 10 streams
// for a term in one event of 10,000. Goal: ≤ 1 s per search.
func BenchmarkFilterLogEvents(b *testing.B) {
	s := benchService(b, 10)
	ctx := context.Background()
	now := testStart.UnixMilli()
	seq := 0
	for i := range 1000 {
		evs := batch(1000, 100, now-int64(1000-i)*1000, "needle-7f3a", 10_000, &seq)
		for j := range evs {
			ts := now - int64(1000-i)*1000 + int64(j)
			evs[j].Timestamp = &ts
		}
		if _, err := s.PutLogEvents(ctx, &PutLogEventsInput{LogGroupName: ptr("bench"), LogStreamName: ptr(fmt.Sprintf("s%03d", i%10)), LogEvents: evs}); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, pattern string }{
		{"term", "needle-7f3a"},
		{"json-miss", `{ $.level = "error" }`},
		{"space-delimited", `[seq, level, path, status = 5*, ...]`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				out, err := s.FilterLogEvents(ctx, &FilterLogEventsInput{LogGroupName: ptr("bench"), FilterPattern: ptr(tc.pattern)})
				if err != nil {
					b.Fatal(err)
				}
				if tc.name == "term" && len(out.Events) != 100 {
					b.Fatalf("%d events found, want 100", len(out.Events))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/search")
		})
	}
	b.Run("tail-page", func(b *testing.B) {
		// The newest page of the whole group, as `aws logs tail` asks first.
		for b.Loop() {
			if _, err := s.FilterLogEvents(ctx, &FilterLogEventsInput{LogGroupName: ptr("bench"), StartTime: ptr(now - 60_000)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
