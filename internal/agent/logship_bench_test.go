package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/driver"
)

// memStreamer is a LogStreamer that hands over records held in memory.
type memStreamer struct{ recs []driver.LogRecord }

func (m memStreamer) StreamLogs(ctx context.Context, id, cursor string, follow bool, fn func(driver.LogRecord) error) error {
	for _, r := range m.recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// countingSink counts what it is given.
type countingSink struct{ events, calls int }

func (s *countingSink) Append(ctx context.Context, group, stream string, events []LogEvent, createGroup bool) error {
	s.events += len(events)
	s.calls++
	return nil
}

// BenchmarkShipper measures a shipper from the driver's records to the sink: lines
// cut, grouped into events and batched, for 100,000 lines of 100 bytes of a web
// server's log.
func BenchmarkShipper(b *testing.B) {
	const n = 100000
	t0 := time.Now()
	recs := make([]driver.LogRecord, n)
	size := 0
	for i := range recs {
		line := fmt.Sprintf("2024-05-01T10:00:00.%06dZ INFO request handled method=GET path=/api/items/%06d status=200 ms=1.25\n", i, i)
		recs[i] = driver.LogRecord{Stream: driver.StreamStdout, Time: t0.Add(time.Duration(i)), Data: []byte(line), Cursor: strconv.Itoa(i)}
		size += len(line)
	}
	for _, tc := range []struct {
		name string
		opts map[string]string
	}{
		{"blocking", map[string]string{"awslogs-group": "g", "mode": "blocking"}},
		{"non-blocking", map[string]string{"awslogs-group": "g", "max-buffer-size": "64m"}},
		{"datetime", map[string]string{"awslogs-group": "g", "mode": "blocking", "awslogs-datetime-format": "%Y-%m-%dT%H:%M:%S"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg, err := parseAWSLogs(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				sink := &countingSink{}
				c := &logCounters{}
				s := newShipper(sink, memStreamer{recs}, "bench", cfg, "s", time.Second, c, slog.New(slog.DiscardHandler))
				s.run(context.Background())
				if sink.events != n || c.dropped.Load() != 0 {
					b.Fatalf("%d events delivered, %d dropped; want %d, 0", sink.events, c.dropped.Load(), n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
