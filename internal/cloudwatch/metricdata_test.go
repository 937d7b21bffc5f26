package cloudwatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func metricQuery(id, name, stat string, period int32, ret bool) types.MetricDataQuery {
	return types.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(ret), MetricStat: &types.MetricStat{
		Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String(name)}, Period: aws.Int32(period), Stat: aws.String(stat)}}
}

func exprQuery(id, expr string) types.MetricDataQuery {
	return types.MetricDataQuery{Id: aws.String(id), Expression: aws.String(expr)}
}

// results renders GetMetricData results as "id(label): t=v ..." with minutes since
// base.
func results(base time.Time, rs []types.MetricDataResult) []string {
	var out []string
	for _, r := range rs {
		s := fmt.Sprintf("%s(%s):", aws.ToString(r.Id), aws.ToString(r.Label))
		for i, ts := range r.Timestamps {
			s += fmt.Sprintf(" %g=%g", ts.Sub(base).Minutes(), r.Values[i])
		}
		out = append(out, s)
	}
	return out
}

func TestGetMetricData(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	base := t0.Add(10 * time.Minute)
	var data []types.MetricDatum
	for i, v := range []float64{10, 20, 30, 40} {
		data = append(data, value("Requests", v, base.Add(time.Duration(i)*time.Minute)))
		if i != 1 {
			data = append(data, value("Errors", float64(i+1), base.Add(time.Duration(i)*time.Minute)))
		}
	}
	e.put("App", data...)
	get := func(in *sdk.GetMetricDataInput) []string {
		t.Helper()
		in.StartTime, in.EndTime = aws.Time(base), aws.Time(base.Add(5*time.Minute))
		out, err := e.client.GetMetricData(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.MetricDataResults {
			if r.StatusCode != types.StatusCodeComplete {
				t.Errorf("%s: status %s", aws.ToString(r.Id), r.StatusCode)
			}
		}
		return results(base, out.MetricDataResults)
	}
	tests := []struct {
		name    string
		queries []types.MetricDataQuery
		scan    types.ScanBy
		want    []string
	}{
		{"descending by default", []types.MetricDataQuery{metricQuery("m1", "Requests", "Sum", 60, true)}, "",
			[]string{"m1(Requests): 3=40 2=30 1=20 0=10"}},
		{"ascending", []types.MetricDataQuery{metricQuery("m1", "Requests", "Sum", 60, true)}, types.ScanByTimestampAscending,
			[]string{"m1(Requests): 0=10 1=20 2=30 3=40"}},
		{"error rate", []types.MetricDataQuery{metricQuery("r", "Requests", "Sum", 60, false), metricQuery("err", "Errors", "Sum", 60, false),
			{Id: aws.String("rate"), Expression: aws.String("100 * err / r"), Label: aws.String("Error rate")}}, types.ScanByTimestampAscending,
			[]string{"rate(Error rate): 0=10 2=10 3=10"}},
		{"fill", []types.MetricDataQuery{metricQuery("err", "Errors", "Sum", 60, false), exprQuery("f", "FILL(err, 0)")}, types.ScanByTimestampAscending,
			[]string{"f(f): 0=1 1=0 2=3 3=4 4=0"}},
		{"two metrics and a sum", []types.MetricDataQuery{metricQuery("a", "Requests", "Maximum", 300, true), metricQuery("b", "Errors", "SampleCount", 300, true),
			exprQuery("s", "SUM([a, b])")}, "", []string{"a(Requests): 0=40", "b(Errors): 0=3", "s(s): 0=43"}},
		{"array result", []types.MetricDataQuery{metricQuery("a", "Requests", "Sum", 300, false), metricQuery("b", "Errors", "Sum", 300, false),
			exprQuery("all", "METRICS() * 2")}, "", []string{"all(Requests): 0=200", "all(Errors): 0=16"}},
		{"percentile", []types.MetricDataQuery{metricQuery("p", "Requests", "p100", 300, true)}, "", []string{"p(Requests): 0=40"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := get(&sdk.GetMetricDataInput{MetricDataQueries: tc.queries, ScanBy: tc.scan})
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestGetMetricDataPages(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(3 * time.Hour)
	var data []types.MetricDatum
	for i := range 100 {
		data = append(data, value("Requests", float64(i), t0.Add(time.Duration(i)*time.Minute)))
	}
	e.put("App", data...)
	in := &sdk.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(100 * time.Minute)), MaxDatapoints: aws.Int32(30),
		ScanBy:            types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{metricQuery("m1", "Requests", "Sum", 60, true), exprQuery("e1", "m1 * 2")}}
	p := sdk.NewGetMetricDataPaginator(e.client, in)
	got := map[string][]float64{}
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		n := 0
		for _, r := range out.MetricDataResults {
			n += len(r.Values)
			got[aws.ToString(r.Id)] = append(got[aws.ToString(r.Id)], r.Values...)
		}
		if n > 30 {
			t.Fatalf("page %d has %d datapoints", pages, n)
		}
	}
	if pages != 7 || len(got["m1"]) != 100 || len(got["e1"]) != 100 || got["m1"][99] != 99 || got["e1"][50] != 100 {
		t.Fatalf("%d pages: m1 %d values, e1 %d values", pages, len(got["m1"]), len(got["e1"]))
	}
	in.NextToken = aws.String("garbage")
	_, err := e.client.GetMetricData(e.ctx, in)
	wantCode(t, err, "InvalidNextToken", "NextToken")
}

func TestGetMetricDataErrors(t *testing.T) {
	e := newEnv(t)
	m1 := metricQuery("m1", "Requests", "Sum", 60, true)
	tests := []struct {
		name      string
		queries   []types.MetricDataQuery
		code, msg string
	}{
		{"bad id", []types.MetricDataQuery{metricQuery("M1", "Requests", "Sum", 60, true)}, "ValidationError", "The value M1 for parameter MetricDataQueries.member.1.Id is invalid"},
		{"duplicate id", []types.MetricDataQuery{m1, m1}, "ValidationError", "MetricDataQueries.member.2.Id is not unique"},
		{"bad stat", []types.MetricDataQuery{metricQuery("m1", "Requests", "Median", 60, true)}, "ValidationError",
			"The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic."},
		{"bad period", []types.MetricDataQuery{metricQuery("m1", "Requests", "Sum", 45, true)}, "ValidationError", "MetricStat.Period is invalid"},
		{"neither", []types.MetricDataQuery{{Id: aws.String("x")}}, "ValidationError", "Exactly one of the parameters MetricDataQueries.member.1.MetricStat and MetricDataQueries.member.1.Expression"},
		{"syntax", []types.MetricDataQuery{m1, exprQuery("e1", "m1 * (2")}, "ValidationError", "Error in expression e1: Expected ')'"},
		{"unknown id", []types.MetricDataQuery{m1, exprQuery("e1", "m1 + m9")}, "ValidationError", "Error in expression e1: Unknown metric id 'm9'"},
		{"cycle", []types.MetricDataQuery{exprQuery("e1", "e2 + 1"), exprQuery("e2", "e1 * 2")}, "ValidationError", "Circular dependency"},
		{"unknown function", []types.MetricDataQuery{m1, exprQuery("e1", "MEDIAN(m1)")}, "ValidationError", "Error in expression e1: Unrecognized function MEDIAN"},
		{"nothing returned", []types.MetricDataQuery{metricQuery("m1", "Requests", "Sum", 60, false)}, "ValidationError", "ReturnData"},
	}
	now := e.clock.Now()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.GetMetricData(e.ctx, &sdk.GetMetricDataInput{MetricDataQueries: tc.queries,
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now)})
			wantCode(t, err, tc.code, tc.msg)
			if tc.code == "ValidationError" {
				wantType[*types.ValidationException](t, err)
			}
		})
	}
}
