package logs

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/wharf-dev/wharf/internal/store"
)

// BenchmarkStorage is the benchmark that chose the event storage (see segment.go):
// the same durable 1,000-event batches of 100-byte events, and the same search of 1M
// events for a rare term, in internal/store (bbolt, one JSON record per event, keyed
// by time) and in the segment log.
func BenchmarkStorage(b *testing.B) {
	for _, kind := range []string{"bbolt", "segment"} {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("append/%s/writers-%d", kind, writers), func(b *testing.B) {
				st := openBenchStore(b, kind)
				var next atomic.Uint32
				b.SetBytes(1000 * 100)
				b.SetParallelism(max(1, writers/2)) // 2 vCPUs here
				if writers == 1 {
					b.SetParallelism(1)
				}
				b.ResetTimer()
				run := func(pb interface{ Next() bool }) {
					seq := 0
					stream := next.Add(1)
					evs := batch(1000, 100, testStart.UnixMilli(), "", 0, &seq)
					for pb.Next() {
						if err := st.append(stream, evs); err != nil {
							b.Error(err)
							return
						}
					}
				}
				if writers == 1 {
					run(&countdown{n: b.N})
				} else {
					b.RunParallel(func(pb *testing.PB) { run(pb) })
				}
				b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
	for _, kind := range []string{"bbolt", "segment"} {
		b.Run("scan-1M/"+kind, func(b *testing.B) {
			st := openBenchStore(b, kind)
			seq := 0
			for i := range 1000 {
				if err := st.append(uint32(i%10+1), batch(1000, 100, testStart.UnixMilli(), "needle-7f3a", 10_000, &seq)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				n, err := st.search([]byte("needle-7f3a"))
				if err != nil {
					b.Fatal(err)
				}
				if n != 100 {
					b.Fatalf("found %d events, want 100", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/search")
		})
	}
}

// countdown is a testing.PB for one goroutine.
type countdown struct{ n int }

func (c *countdown) Next() bool { c.n--; return c.n >= 0 }

// benchStore is an event store under comparison.
type benchStore interface {
	append(stream uint32, events []InputLogEvent) error
	search(term []byte) (int, error)
}

func openBenchStore(b *testing.B, kind string) benchStore {
	dir := b.TempDir()
	if kind == "segment" {
		l, err := openEventLog(filepath.Join(dir, "group"), DefaultSegmentBytes, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(l.closeFiles)
		return segmentStore{l}
	}
	db, err := store.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return &bboltStore{db: db}
}

type segmentStore struct{ l *eventLog }

func (s segmentStore) append(stream uint32, events []InputLogEvent) error {
	_, err := s.l.appendEvents(stream, events, testStart.UnixMilli())
	return err
}

func (s segmentStore) search(term []byte) (int, error) {
	p, err := CompilePattern(string(term))
	if err != nil {
		return 0, err
	}
	streams := map[uint32]string{}
	for i := range uint32(64) {
		streams[i] = ""
	}
	hits, _, err := s.l.scan(scanQuery{from: keyMin.ts, to: keyMax.ts, after: keyMin, before: keyMax, maxSeq: keyMax.seq,
		streams: streams, match: p, limit: 10_000, maxBytes: maxResultBytes})
	return len(hits), err
}

// bboltStore keeps one JSON record per event, keyed by timestamp and sequence number
// so that a time range is a key range.
type bboltStore struct {
	db  *store.DB
	seq atomic.Uint64
}

type bboltEvent struct {
	Stream    uint32 `json:"s"`
	Ingestion int64  `json:"i"`
	Message   string `json:"m"`
}

func (s *bboltStore) append(stream uint32, events []InputLogEvent) error {
	return s.db.Update(func(tx *store.Tx) error {
		for _, e := range events {
			key := fmt.Sprintf("%016x%016x", *e.Timestamp, s.seq.Add(1))
			if err := tx.Put("events", key, bboltEvent{Stream: stream, Ingestion: testStart.UnixMilli(), Message: *e.Message}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *bboltStore) search(term []byte) (int, error) {
	n := 0
	err := s.db.View(func(tx *store.Tx) error {
		return tx.Scan("events", "", func(_ string, raw []byte) error {
			var e bboltEvent
			if err := store.Decode(raw, &e); err != nil {
				return err
			}
			if bytes.Contains([]byte(e.Message), term) {
				n++
			}
			return nil
		})
	})
	return n, err
}
