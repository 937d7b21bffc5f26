package process

import (
	"context"
	"strconv"
	"testing"

	"github.com/wharf-dev/wharf/internal/driver"
)

// BenchmarkStreamLogs measures reading a container's log file into records: 20,000
// lines on each stream, a 40,000-byte line, and a last line without a newline.
func BenchmarkStreamLogs(b *testing.B) {
	d, err := New(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	st, err := d.Start(context.Background(), helperSpec("bench", "lines", strconv.Itoa(20000)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Wait(context.Background(), st.ID); err != nil {
		b.Fatal(err)
	}
	size, n := int64(0), 0
	count := func(r driver.LogRecord) error { size += int64(len(r.Data)); n++; return nil }
	if err := d.StreamLogs(context.Background(), st.ID, "", true, count); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.StreamLogs(context.Background(), st.ID, "", true, func(driver.LogRecord) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkStats measures sampling a running container from /proc.
func BenchmarkStats(b *testing.B) {
	d, err := New(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	st, err := d.Start(context.Background(), helperSpec("bench", "sleep"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Stop(context.Background(), st.ID, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Stats(context.Background(), st.ID); err != nil {
			b.Fatal(err)
		}
	}
}
