package cloudwatch

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/store"
)

func benchService(b *testing.B) *Service {
	b.Helper()
	dir := b.TempDir()
	db, err := store.Open(filepath.Join(dir, "wharf.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := New(db, Config{Dir: filepath.Join(dir, "metrics"), Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchRequest is a 1,000-item PutMetricData of 1,000 distinct metrics.
func benchRequest(g int64) *PutMetricDataInput {
	data := make([]MetricDatum, 1000)
	for i := range data {
		data[i] = MetricDatum{MetricName: "Latency", Unit: "Milliseconds", Value: ptr(float64(i)),
			Dimensions: []Dimension{{"Service", fmt.Sprintf("svc-%d", g)}, {"Host", fmt.Sprintf("host-%04d", i)}}}
	}
	return &PutMetricDataInput{Namespace: "Bench", MetricData: data}
}

// BenchmarkPutMetricData measures durable ingestion through the Service method:
// 1,000-item requests from 8 goroutines (so that requests share fsyncs, as
// concurrent clients do). The goal is 50,000 datapoints/s.
func BenchmarkPutMetricData(b *testing.B) {
	s := benchService(b)
	var g atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := benchRequest(g.Add(1))
		for pb.Next() {
			if _, err := s.PutMetricData(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "datapoints/s")
}

// BenchmarkPutMetricDataSerial is one client sending 1,000-item requests: every
// request waits for its own fsync.
func BenchmarkPutMetricDataSerial(b *testing.B) {
	s := benchService(b)
	in := benchRequest(0)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.PutMetricData(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "datapoints/s")
}

// BenchmarkStoreAlternative is the design not taken: each 1,000-item request as
// one record in internal/store (one bbolt transaction and fsync per request),
// without even the in-memory aggregation. Compare its datapoints/s with
// BenchmarkPutMetricData.
func BenchmarkStoreAlternative(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "wharf.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var g, seq atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := benchRequest(g.Add(1))
		for pb.Next() {
			err := db.Update(func(tx *store.Tx) error {
				return tx.Put("bench", fmt.Sprintf("%020d", seq.Add(1)), in)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "datapoints/s")
}

// BenchmarkGetMetricStatistics reads a day of minute data of one metric.
func BenchmarkGetMetricStatistics(b *testing.B) {
	s := benchService(b)
	now := time.Now()
	for h := range 24 {
		data := make([]MetricDatum, 60)
		for m := range data {
			data[m] = MetricDatum{MetricName: "Latency", Value: ptr(float64(m)), Timestamp: ptr(now.Add(-time.Duration(h*60+m) * time.Minute))}
		}
		if err := s.Put(context.Background(), "Bench", data); err != nil {
			b.Fatal(err)
		}
	}
	in := &GetMetricStatisticsInput{Namespace: "Bench", MetricName: "Latency", StartTime: ptr(now.Add(-24 * time.Hour)), EndTime: ptr(now),
		Period: ptr(int32(300)), Statistics: []string{"Average", "Maximum"}}
	b.ResetTimer()
	for b.Loop() {
		out, err := s.GetMetricStatistics(context.Background(), in)
		if err != nil || len(out.Datapoints) < 280 {
			b.Fatalf("%d datapoints, %v", len(out.Datapoints), err)
		}
	}
}
