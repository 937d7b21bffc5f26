// Command cwbench measures CloudWatch Logs and metrics against `wharf up`:
//
//   - PutLogEvents of 100-byte events in 1,000-event batches, acknowledged durably,
//     replayed by wrk (events per second);
//   - FilterLogEvents with a selective term over 1,000,000 stored events, through the
//     SDK's paginator (time to the last page);
//   - PutMetricData of 1,000 datapoints per call (awsJson1_0, as the aws CLI sends it),
//     replayed by wrk (datapoints per second).
//
// Requests are signed once and replayed within SigV4's window, so that client-side
// signing does not take the machine's cores from the server. It needs wrk.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/wharf-dev/wharf/bench/benchkit"
)

func main() {
	bin := flag.String("bin", "bin/wharf", "the wharf binary")
	conns := flag.Int("c", 8, "wrk connections")
	d := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	events := flag.Int("filter-events", 1_000_000, "events stored before FilterLogEvents")
	flag.Parse()
	if err := run(*bin, *conns, *d, *events); err != nil {
		fmt.Fprintln(os.Stderr, "cwbench:", err)
		os.Exit(1)
	}
}

func run(bin string, conns int, d time.Duration, filterEvents int) error {
	w, err := benchkit.Start(bin)
	if err != nil {
		return err
	}
	defer w.Stop()
	ctx := context.Background()
	logs := awslogs.NewFromConfig(w.Config())
	for _, g := range []string{"bench-put", "bench-filter"} {
		if _, err := logs.CreateLogGroup(ctx, &awslogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			return err
		}
		if _, err := logs.CreateLogStream(ctx, &awslogs.CreateLogStreamInput{LogGroupName: aws.String(g), LogStreamName: aws.String("s")}); err != nil {
			return err
		}
	}

	// PutLogEvents.
	put, err := signLogs(w, "bench-put", batch(time.Now(), 0))
	if err != nil {
		return err
	}
	if _, err := put.Do(); err != nil {
		return fmt.Errorf("PutLogEvents: %w", err)
	}
	if _, err := benchkit.Wrk(put, conns, 2*time.Second); err != nil {
		return err
	}
	cpu := benchkit.CPUOf(w.Pid)
	res, err := benchkit.Wrk(put, conns, d)
	if err != nil {
		return err
	}
	cpu = benchkit.CPUOf(w.Pid) - cpu
	fmt.Printf("PutLogEvents, 1,000 events of 100 bytes per call, wrk -t2 -c%d %v: %.0f events/s (%.0f calls/s, p50 %s, p99 %s), wharf CPU %.2f µs per event\n",
		conns, d, res.PerSec*1000, res.PerSec, res.P50, res.P99, float64(cpu.Microseconds())/float64(res.Requests*1000))

	// FilterLogEvents over filterEvents stored events, one in 10,000 with the term.
	start := time.Now().Add(-time.Hour)
	for i := 0; i < filterEvents/1000; i++ {
		req, err := signLogs(w, "bench-filter", batch(start.Add(time.Duration(i)*time.Millisecond), i))
		if err != nil {
			return err
		}
		if _, err := req.Do(); err != nil {
			return fmt.Errorf("loading events: %w", err)
		}
	}
	var times []time.Duration
	matches := 0
	for run := 0; run < 5; run++ {
		t0 := time.Now()
		matches = 0
		p := awslogs.NewFilterLogEventsPaginator(logs, &awslogs.FilterLogEventsInput{LogGroupName: aws.String("bench-filter"), FilterPattern: aws.String("needle")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("FilterLogEvents: %w", err)
			}
			matches += len(page.Events)
		}
		times = append(times, time.Since(t0))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if want := filterEvents / 10000; matches != want {
		return fmt.Errorf("FilterLogEvents found %d events, want %d", matches, want)
	}
	fmt.Printf("FilterLogEvents \"needle\" over %d events (%d match), every page: median %v of 5 (min %v, max %v)\n",
		filterEvents, matches, times[2].Round(time.Millisecond), times[0].Round(time.Millisecond), times[4].Round(time.Millisecond))

	// PutMetricData.
	var data []map[string]any
	for i := 0; i < 1000; i++ {
		data = append(data, map[string]any{"MetricName": fmt.Sprintf("m%d", i%20), "Value": float64(i),
			"Dimensions": []map[string]string{{"Name": "host", "Value": fmt.Sprintf("h%d", i%50)}}})
	}
	body, _ := json.Marshal(map[string]any{"Namespace": "Bench", "MetricData": data})
	pmd, err := benchkit.Sign(w.Root, w.Endpoint, "/", "monitoring", map[string]string{
		"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData", "X-Amzn-Query-Mode": "true",
	}, body)
	if err != nil {
		return err
	}
	if _, err := pmd.Do(); err != nil {
		return fmt.Errorf("PutMetricData: %w", err)
	}
	if _, err := benchkit.Wrk(pmd, conns, 2*time.Second); err != nil {
		return err
	}
	cpu = benchkit.CPUOf(w.Pid)
	res, err = benchkit.Wrk(pmd, conns, d)
	if err != nil {
		return err
	}
	cpu = benchkit.CPUOf(w.Pid) - cpu
	fmt.Printf("PutMetricData, 1,000 datapoints per call, wrk -t2 -c%d %v: %.0f datapoints/s (%.0f calls/s, p50 %s, p99 %s), wharf CPU %.2f µs per datapoint\n",
		conns, d, res.PerSec*1000, res.PerSec, res.P50, res.P99, float64(cpu.Microseconds())/float64(res.Requests*1000))
	return nil
}

// batch is 1,000 events of 100 bytes at t; the batch whose number is a multiple of 10
// has the selective term in its first event.
func batch(t time.Time, n int) []logstypes.InputLogEvent {
	ev := make([]logstypes.InputLogEvent, 1000)
	for i := range ev {
		msg := fmt.Sprintf("%s batch=%d event=%d level=info path=/api/items status=200 ", t.Format(time.RFC3339), n, i)
		if i == 0 && n%10 == 0 {
			msg += "needle "
		}
		msg += strings.Repeat("x", max(0, 100-len(msg)))
		ev[i] = logstypes.InputLogEvent{Timestamp: aws.Int64(t.UnixMilli()), Message: aws.String(msg[:100])}
	}
	return ev
}

// signLogs signs a PutLogEvents of events to stream "s" of group.
func signLogs(w *benchkit.Wharf, group string, events []logstypes.InputLogEvent) (benchkit.Request, error) {
	type event struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	in := struct {
		LogGroupName  string  `json:"logGroupName"`
		LogStreamName string  `json:"logStreamName"`
		LogEvents     []event `json:"logEvents"`
	}{LogGroupName: group, LogStreamName: "s"}
	for _, e := range events {
		in.LogEvents = append(in.LogEvents, event{*e.Timestamp, *e.Message})
	}
	body, err := json.Marshal(in)
	if err != nil {
		return benchkit.Request{}, err
	}
	return benchkit.Sign(w.Root, w.Endpoint, "/", "logs", map[string]string{
		"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.PutLogEvents",
	}, body)
}
