package cloudwatch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/wharf-dev/wharf/internal/clocktest"
)

// sums returns the per-minute Sum and SampleCount of App/Requests over the hour
// after t0, and p50 of the whole hour.
func (e *env) sums() (map[time.Time][2]float64, float64) {
	e.t.Helper()
	out, err := e.client.GetMetricStatistics(e.ctx, &sdk.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Requests"),
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticSum, types.StatisticSampleCount}})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[time.Time][2]float64{}
	for _, dp := range out.Datapoints {
		m[*dp.Timestamp] = [2]float64{*dp.Sum, *dp.SampleCount}
	}
	p, err := e.client.GetMetricStatistics(e.ctx, &sdk.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Requests"),
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)), Period: aws.Int32(3600), ExtendedStatistics: []string{"p50"}})
	if err != nil || len(p.Datapoints) != 1 {
		e.t.Fatalf("p50: %+v %v", p, err)
	}
	return m, p.Datapoints[0].ExtendedStatistics["p50"]
}

func (e *env) publish(n int) {
	e.t.Helper()
	for i := range n {
		var data []types.MetricDatum
		for j := range 50 {
			data = append(data, value("Requests", float64(i*50+j), t0.Add(time.Duration(i+j)*time.Second)))
		}
		e.put("App", data...)
	}
}

func TestRestartDurability(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash bool
	}{{"crash", true}, {"clean", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.clock.Advance(time.Hour)
			e.publish(20)
			e.putAlarm("kept", func(in *sdk.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1) })
			e.minute(90)
			if s := e.state("kept"); s != types.StateValueAlarm {
				t.Fatalf("alarm before the restart: %s", s)
			}
			before, p50 := e.sums()
			if len(before) == 0 {
				t.Fatal("no data before the restart")
			}
			e.reopen(tc.crash)
			after, p50b := e.sums()
			if len(after) != len(before) || p50 != p50b {
				t.Fatalf("%d minutes before, %d after; p50 %v, %v", len(before), len(after), p50, p50b)
			}
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%v: %v before, %v after", k, v, after[k])
				}
			}
			if a := e.alarm("kept"); a.StateValue != types.StateValueAlarm || len(e.history("kept", types.HistoryItemTypeStateUpdate)) != 1 {
				t.Fatalf("alarm after the restart: %s", a.StateValue)
			}
			ms, err := e.client.ListMetrics(e.ctx, &sdk.ListMetricsInput{})
			if err != nil || len(ms.Metrics) != 2 {
				t.Fatalf("metrics after restart: %+v %v", ms, err)
			}
		})
	}
}

func TestSnapshotCompaction(t *testing.T) {
	e := newEnvConfig(t, Config{CompactBytes: 4 << 10})
	e.clock.Advance(time.Hour)
	e.publish(30)
	// Compactions run in the background; Close waits for the log and takes a final
	// snapshot, so compare after a clean close and after replaying a crash.
	before, p50 := e.sums()
	e.reopen(true)
	mid, p50m := e.sums()
	if len(mid) != len(before) || p50m != p50 {
		t.Fatalf("after crash: %d minutes, want %d", len(mid), len(before))
	}
	for k, v := range before {
		if mid[k] != v {
			t.Fatalf("%v: %v before, %v after replay (counted twice or lost)", k, v, mid[k])
		}
	}
	e.publish(5)
	before, _ = e.sums()
	e.reopen(false)
	after, _ := e.sums()
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("%v: %v before, %v after snapshot", k, v, after[k])
		}
	}
	segs, err := segments(e.cfg.Dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("log segments after a clean restart: %v %v", segs, err)
	}
	if _, err := os.Stat(filepath.Join(e.cfg.Dir, snapName)); err != nil {
		t.Fatal(err)
	}
}

func TestTornLogTail(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	e.publish(3)
	before, _ := e.sums()
	e.s.wal.close()
	segs, _ := segments(e.cfg.Dir)
	f, err := os.OpenFile(filepath.Join(e.cfg.Dir, segName(segs[len(segs)-1])), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 5}) // a frame cut short by a crash
	f.Close()
	s, err := New(e.db, e.cfg)
	if err != nil {
		t.Fatalf("open after a torn write: %v", err)
	}
	e.s = s
	t.Cleanup(func() { s.Close() })
	got, err := s.GetMetricStatistics(context.Background(), &GetMetricStatisticsInput{Namespace: "App", MetricName: "Requests",
		StartTime: ptr(t0), EndTime: ptr(t0.Add(time.Hour)), Period: ptr(int32(60)), Statistics: []string{"Sum", "SampleCount"}})
	if err != nil || len(got.Datapoints) != len(before) {
		t.Fatalf("after a torn write: %d datapoints, want %d (%v)", len(got.Datapoints), len(before), err)
	}
	// A corrupt snapshot is refused, not silently dropped.
	if err := os.WriteFile(filepath.Join(e.cfg.Dir, snapName), []byte(snapMagic+"garbage!"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(e.db, Config{Dir: e.cfg.Dir, Clock: clocktest.New(t0), Logger: quiet()}); err == nil {
		t.Fatal("a corrupt snapshot was accepted")
	}
}

func TestRetention(t *testing.T) {
	e := newEnv(t)
	hi := value("Hi", 1, t0)
	hi.StorageResolution = aws.Int32(1)
	e.put("App", hi, value("Std", 1, t0))
	get := func(name string, period int32, start time.Time) int {
		out, err := e.client.GetMetricStatistics(e.ctx, &sdk.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String(name),
			StartTime: aws.Time(start), EndTime: aws.Time(start.Add(min(time.Hour, time.Duration(period)*1000*time.Second))),
			Period: aws.Int32(period), Statistics: []types.Statistic{types.StatisticSum}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Datapoints)
	}
	if get("Hi", 1, t0) != 1 || get("Hi", 60, t0) != 1 {
		t.Fatal("fresh high-resolution data missing")
	}
	e.clock.Advance(4 * time.Hour) // 1-second data is gone, minutes stay
	if get("Hi", 1, t0) != 0 || get("Hi", 60, t0) != 1 {
		t.Fatal("after 4 hours: want minute data only")
	}
	e.clock.Advance(16 * 24 * time.Hour) // minutes gone; 5-minute data answers
	if get("Std", 60, t0) != 0 || get("Std", 300, t0) != 1 {
		t.Fatal("after 16 days: want 5-minute data only")
	}
	e.clock.Advance(50 * 24 * time.Hour) // 5-minute data gone; hours answer
	if get("Std", 300, t0) != 0 || get("Std", 3600, t0) != 1 {
		t.Fatal("after 66 days: want hourly data only")
	}
	e.clock.Advance(400 * 24 * time.Hour)
	e.s.mem.expire(e.clock.Now().Unix())
	if get("Std", 3600, t0) != 0 {
		t.Fatal("after 466 days: data remains")
	}
}
