package cloudwatch

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestGetMetricStatistics(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	base := t0.Add(10 * time.Minute)
	// Minute 0: 1..10 one at a time; minute 1: Values/Counts; minute 2: a statistic set.
	var data []types.MetricDatum
	for i := 1; i <= 10; i++ {
		d := value("Latency", float64(i), base.Add(time.Duration(i)*time.Second), "Service", "web")
		d.Unit = types.StandardUnitMilliseconds
		data = append(data, d)
	}
	data = append(data, types.MetricDatum{MetricName: aws.String("Latency"), Timestamp: aws.Time(base.Add(70 * time.Second)),
		Dimensions: []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}},
		Values:     []float64{100, 200}, Counts: []float64{3, 1}, Unit: types.StandardUnitMilliseconds})
	data = append(data, types.MetricDatum{MetricName: aws.String("Latency"), Timestamp: aws.Time(base.Add(130 * time.Second)),
		Dimensions:      []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}},
		StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(40), Minimum: aws.Float64(5), Maximum: aws.Float64(15)},
		Unit:            types.StandardUnitMilliseconds})
	// Another unit, aggregated separately.
	d := value("Latency", 1, base.Add(5*time.Second), "Service", "web")
	d.Unit = types.StandardUnitSeconds
	data = append(data, d)
	e.put("App", data...)

	get := func(in *sdk.GetMetricStatisticsInput) []types.Datapoint {
		t.Helper()
		in.Namespace, in.MetricName = aws.String("App"), aws.String("Latency")
		in.Dimensions = []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}}
		in.StartTime, in.EndTime = aws.Time(base), aws.Time(base.Add(5*time.Minute))
		out, err := e.client.GetMetricStatistics(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Label) != "Latency" {
			t.Errorf("Label %q", aws.ToString(out.Label))
		}
		sort.Slice(out.Datapoints, func(i, j int) bool { return out.Datapoints[i].Timestamp.Before(*out.Datapoints[j].Timestamp) })
		return out.Datapoints
	}
	dps := get(&sdk.GetMetricStatisticsInput{Period: aws.Int32(60), Unit: types.StandardUnitMilliseconds,
		Statistics: []types.Statistic{types.StatisticSum, types.StatisticAverage, types.StatisticSampleCount, types.StatisticMinimum, types.StatisticMaximum}})
	if len(dps) != 3 {
		t.Fatalf("%d datapoints: %+v", len(dps), dps)
	}
	check := func(dp types.Datapoint, at time.Time, n, sum, min, max float64) {
		t.Helper()
		if !dp.Timestamp.Equal(at) || *dp.SampleCount != n || *dp.Sum != sum || *dp.Minimum != min || *dp.Maximum != max ||
			*dp.Average != sum/n || dp.Unit != types.StandardUnitMilliseconds {
			t.Errorf("datapoint %v: n=%v sum=%v min=%v max=%v avg=%v unit=%s; want %v %v %v %v %v",
				dp.Timestamp, *dp.SampleCount, *dp.Sum, *dp.Minimum, *dp.Maximum, *dp.Average, dp.Unit, at, n, sum, min, max)
		}
	}
	check(dps[0], base, 10, 55, 1, 10)
	check(dps[1], base.Add(time.Minute), 4, 500, 100, 200)
	check(dps[2], base.Add(2*time.Minute), 4, 40, 5, 15)

	// Percentiles: the raw values have them, the statistic set does not.
	dps = get(&sdk.GetMetricStatisticsInput{Period: aws.Int32(60), Unit: types.StandardUnitMilliseconds, ExtendedStatistics: []string{"p50", "p90", "p100"}})
	if len(dps) != 3 {
		t.Fatalf("%d datapoints", len(dps))
	}
	approx := func(got, want float64) bool { return math.Abs(got-want) <= 0.011*want }
	if p := dps[0].ExtendedStatistics; !approx(p["p50"], 5) || !approx(p["p90"], 9) || p["p100"] != 10 {
		t.Errorf("percentiles of 1..10: %v", p)
	}
	if p := dps[1].ExtendedStatistics; !approx(p["p50"], 100) || !approx(p["p90"], 200) {
		t.Errorf("percentiles of Values/Counts: %v", p)
	}
	if p := dps[2].ExtendedStatistics; len(p) != 0 {
		t.Errorf("a statistic set has percentiles: %v", p)
	}

	// Without a unit each unit comes back separately; a 5-minute period merges minutes.
	dps = get(&sdk.GetMetricStatisticsInput{Period: aws.Int32(300), Statistics: []types.Statistic{types.StatisticSampleCount}})
	units := map[types.StandardUnit]float64{}
	for _, dp := range dps {
		units[dp.Unit] = *dp.SampleCount
	}
	if len(dps) != 2 || units[types.StandardUnitMilliseconds] != 18 || units[types.StandardUnitSeconds] != 1 {
		t.Errorf("datapoints by unit: %v", units)
	}
	// A unit never published gives nothing.
	if dps := get(&sdk.GetMetricStatisticsInput{Period: aws.Int32(60), Unit: types.StandardUnitBytes, Statistics: []types.Statistic{types.StatisticSum}}); len(dps) != 0 {
		t.Errorf("unit Bytes: %+v", dps)
	}
	// Standard-resolution data has no sub-minute datapoints.
	if dps := get(&sdk.GetMetricStatisticsInput{Period: aws.Int32(10), Statistics: []types.Statistic{types.StatisticSum}}); len(dps) != 0 {
		t.Errorf("period 10 over standard-resolution data: %+v", dps)
	}
}

func TestHighResolution(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(10 * time.Minute)
	base := t0.Add(2 * time.Minute)
	var data []types.MetricDatum
	for i := range 30 {
		d := value("Requests", 1, base.Add(time.Duration(i)*time.Second))
		d.StorageResolution = aws.Int32(1)
		data = append(data, d)
	}
	e.put("App", data...)
	out, err := e.client.GetMetricStatistics(e.ctx, &sdk.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Requests"),
		StartTime: aws.Time(base.Add(3 * time.Second)), EndTime: aws.Time(base.Add(30 * time.Second)), Period: aws.Int32(10),
		Statistics: []types.Statistic{types.StatisticSum}})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out.Datapoints, func(i, j int) bool { return out.Datapoints[i].Timestamp.Before(*out.Datapoints[j].Timestamp) })
	// The start rounds down to a 10-second boundary.
	if len(out.Datapoints) != 3 || !out.Datapoints[0].Timestamp.Equal(base) || *out.Datapoints[0].Sum != 10 {
		t.Fatalf("10-second datapoints: %+v", out.Datapoints)
	}
	out, err = e.client.GetMetricStatistics(e.ctx, &sdk.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Requests"),
		StartTime: aws.Time(base), EndTime: aws.Time(base.Add(time.Minute)), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
	if err != nil || len(out.Datapoints) != 1 || *out.Datapoints[0].Sum != 30 {
		t.Fatalf("minute of high-resolution data: %+v %v", out.Datapoints, err)
	}
}

func TestPutMetricDataErrors(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	many := make([]types.MetricDatum, 1001)
	for i := range many {
		many[i] = value("M", 1, now)
	}
	dims := value("M", 1, now)
	for i := range 31 {
		dims.Dimensions = append(dims.Dimensions, types.Dimension{Name: aws.String(fmt.Sprint("d", i)), Value: aws.String("v")})
	}
	vals := types.MetricDatum{MetricName: aws.String("M"), Values: make([]float64, 151)}
	tests := []struct {
		name      string
		ns        string
		data      []types.MetricDatum
		code, msg string
	}{
		{"AWS namespace", "AWS/EC2", []types.MetricDatum{value("M", 1, now)}, "InvalidParameterValue", "The value AWS/EC2 for parameter Namespace is invalid."},
		{"too many items", "App", many, "InvalidParameterValue", "The collection MetricData must not have a size greater than 1000."},
		{"too many dimensions", "App", []types.MetricDatum{dims}, "InvalidParameterValue", "Dimensions must not have a size greater than 30"},
		{"bad unit", "App", []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1), Unit: "Parsecs"}}, "InvalidParameterValue", "MetricData.member.1.Unit must be a value in the set [ Seconds,"},
		{"bad resolution", "App", []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1), StorageResolution: aws.Int32(5)}}, "InvalidParameterValue", "StorageResolution must be either 1 or 60"},
		{"too old", "App", []types.MetricDatum{value("M", 1, now.Add(-15*24*time.Hour))}, "InvalidParameterValue", "must specify a time within the past two weeks"},
		{"future", "App", []types.MetricDatum{value("M", 1, now.Add(3*time.Hour))}, "InvalidParameterValue", "no more than two hours in the future"},
		{"no value", "App", []types.MetricDatum{{MetricName: aws.String("M")}}, "InvalidParameterCombination", "At least one of the parameters MetricData.member.1.Value"},
		{"value and statistics", "App", []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1),
			StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}}},
			"InvalidParameterCombination", "MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive"},
		{"too many values", "App", []types.MetricDatum{vals}, "InvalidParameterValue", "The collection MetricData.member.1.Values must not have a size greater than 150."},
		{"counts mismatch", "App", []types.MetricDatum{{MetricName: aws.String("M"), Values: []float64{1, 2}, Counts: []float64{1}}}, "InvalidParameterCombination", "must be of the same size"},
		{"infinite value", "App", []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(math.Inf(1))}}, "InvalidParameterValue", "MetricData.member.1.Value is invalid"},
		{"huge value", "App", []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(math.Ldexp(1, 361))}}, "InvalidParameterValue", "MetricData.member.1.Value is invalid"},
		{"empty metric name", "App", []types.MetricDatum{{MetricName: aws.String(""), Value: aws.Float64(1)}}, "MissingParameter", "The parameter MetricData.member.1.MetricName is required."},
		{"duplicate dimension", "App", []types.MetricDatum{value("M", 1, now, "A", "1", "A", "2")}, "InvalidParameterValue", "used more than once"},
		{"min above max", "App", []types.MetricDatum{{MetricName: aws.String("M"),
			StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(1), Minimum: aws.Float64(3), Maximum: aws.Float64(1)}}},
			"InvalidParameterValue", "Minimum must not be greater than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.PutMetricData(e.ctx, &sdk.PutMetricDataInput{Namespace: aws.String(tc.ns), MetricData: tc.data})
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	// The typed exception, with the query code.
	_, err := e.client.PutMetricData(e.ctx, &sdk.PutMetricDataInput{Namespace: aws.String("AWS/X"), MetricData: []types.MetricDatum{value("M", 1, now)}})
	if ex := wantType[*types.InvalidParameterValueException](t, err); ex.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("ErrorCode %q", ex.ErrorCode())
	}
	_, err = e.client.PutMetricData(e.ctx, &sdk.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String(""), Value: aws.Float64(1)}}})
	if ex := wantType[*types.MissingRequiredParameterException](t, err); ex.ErrorCode() != "MissingParameter" {
		t.Errorf("ErrorCode %q", ex.ErrorCode())
	}
	// Nothing of a rejected request was stored.
	if ms, _ := e.client.ListMetrics(e.ctx, &sdk.ListMetricsInput{}); len(ms.Metrics) != 0 {
		t.Errorf("rejected data listed: %+v", ms.Metrics)
	}
	// Wharf's own publishers may use AWS/ namespaces.
	if err := e.s.Put(e.ctx, "AWS/ECS", []MetricDatum{{MetricName: "CPUUtilization", Value: ptr(12.5)}}); err != nil {
		t.Fatal(err)
	}
}

func TestGetMetricStatisticsErrors(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	base := func() *sdk.GetMetricStatisticsInput {
		return &sdk.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("M"),
			StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60),
			Statistics: []types.Statistic{types.StatisticSum}}
	}
	tests := []struct {
		name      string
		mod       func(*sdk.GetMetricStatisticsInput)
		code, msg string
	}{
		{"period 7", func(in *sdk.GetMetricStatisticsInput) { in.Period = aws.Int32(7) }, "InvalidParameterValue", "Period must be 1, 5, 10, 20, 30 or a multiple of 60"},
		{"period 90", func(in *sdk.GetMetricStatisticsInput) { in.Period = aws.Int32(90) }, "InvalidParameterValue", "Period must be"},
		{"too many datapoints", func(in *sdk.GetMetricStatisticsInput) {
			in.Period = aws.Int32(1)
			in.StartTime = aws.Time(now.Add(-1441 * time.Second))
		}, "InvalidParameterCombination", "You have requested up to 1441 datapoints, which exceeds the limit of 1440."},
		{"start after end", func(in *sdk.GetMetricStatisticsInput) { in.StartTime = aws.Time(now.Add(time.Hour)) }, "InvalidParameterValue", "StartTime must be less than"},
		{"both statistics", func(in *sdk.GetMetricStatisticsInput) { in.ExtendedStatistics = []string{"p99"} }, "InvalidParameterCombination", "mutually exclusive"},
		{"no statistics", func(in *sdk.GetMetricStatisticsInput) { in.Statistics = nil }, "InvalidParameterCombination", "At least one of the parameters Statistics and ExtendedStatistics"},
		{"bad percentile", func(in *sdk.GetMetricStatisticsInput) { in.Statistics, in.ExtendedStatistics = nil, []string{"p101"} }, "InvalidParameterValue", "p101"},
		{"bad statistic", func(in *sdk.GetMetricStatisticsInput) { in.Statistics = []types.Statistic{"Median"} }, "InvalidParameterValue", "Statistics.member.1 must be a value in the set"},
		{"bad unit", func(in *sdk.GetMetricStatisticsInput) { in.Unit = "Parsecs" }, "InvalidParameterValue", "Unit must be a value in the set"},
		{"no namespace", func(in *sdk.GetMetricStatisticsInput) { in.Namespace = aws.String("") }, "MissingParameter", "The parameter Namespace is required."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.mod(in)
			_, err := e.client.GetMetricStatistics(e.ctx, in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
}

func TestListMetrics(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	e.put("App", value("Requests", 1, now, "Service", "web", "Stage", "prod"), value("Requests", 1, now, "Service", "api"),
		value("Errors", 1, now, "Service", "web"))
	e.put("Other", value("Requests", 1, now))
	list := func(in *sdk.ListMetricsInput) []string {
		t.Helper()
		out, err := e.client.ListMetrics(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.Metrics {
			s := aws.ToString(m.Namespace) + "/" + aws.ToString(m.MetricName)
			for _, d := range m.Dimensions {
				s += " " + aws.ToString(d.Name) + "=" + aws.ToString(d.Value)
			}
			got = append(got, s)
		}
		return got
	}
	tests := []struct {
		name string
		in   *sdk.ListMetricsInput
		want []string
	}{
		{"all", &sdk.ListMetricsInput{}, []string{"App/Errors Service=web", "App/Requests Service=api", "App/Requests Service=web Stage=prod", "Other/Requests"}},
		{"namespace", &sdk.ListMetricsInput{Namespace: aws.String("Other")}, []string{"Other/Requests"}},
		{"name", &sdk.ListMetricsInput{MetricName: aws.String("Errors")}, []string{"App/Errors Service=web"}},
		{"dimension value", &sdk.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Service"), Value: aws.String("web")}}},
			[]string{"App/Errors Service=web", "App/Requests Service=web Stage=prod"}},
		{"dimension name", &sdk.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Stage")}}}, []string{"App/Requests Service=web Stage=prod"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// RecentlyActive: three hours; the default lists two weeks.
	e.clock.Advance(4 * time.Hour)
	e.put("App", value("Fresh", 1, e.clock.Now()))
	if got := list(&sdk.ListMetricsInput{RecentlyActive: types.RecentlyActivePt3h}); fmt.Sprint(got) != "[App/Fresh]" {
		t.Errorf("recently active: %q", got)
	}
	e.clock.Advance(15 * 24 * time.Hour)
	if got := list(&sdk.ListMetricsInput{}); len(got) != 0 {
		t.Errorf("after two weeks: %q", got)
	}
	_, err := e.client.ListMetrics(e.ctx, &sdk.ListMetricsInput{RecentlyActive: "PT1H"})
	wantCode(t, err, "InvalidParameterValue", "RecentlyActive")
	_, err = e.client.ListMetrics(e.ctx, &sdk.ListMetricsInput{NextToken: aws.String("!!")})
	wantCode(t, err, "InvalidNextToken", "NextToken")
}

func TestListMetricsPages(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	var data []types.MetricDatum
	for i := range 1200 {
		data = append(data, value("M", 1, now, "N", fmt.Sprintf("%04d", i)))
	}
	e.put("App", data[:1000]...)
	e.put("App", data[1000:]...)
	p := sdk.NewListMetricsPaginator(e.client, &sdk.ListMetricsInput{})
	pages, total := 0, 0
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Metrics) > 500 {
			t.Fatalf("page of %d", len(out.Metrics))
		}
		pages++
		for _, m := range out.Metrics {
			seen[aws.ToString(m.Dimensions[0].Value)] = true
			total++
		}
	}
	if pages != 3 || total != 1200 || len(seen) != 1200 {
		t.Fatalf("%d pages, %d metrics, %d distinct", pages, total, len(seen))
	}
}
