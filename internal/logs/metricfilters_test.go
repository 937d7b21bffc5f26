package logs

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func (e *env) metricFilter(group, name, pattern string, t types.MetricTransformation) error {
	_, err := e.client.PutMetricFilter(e.ctx, &sdk.PutMetricFilterInput{
		LogGroupName: aws.String(group), FilterName: aws.String(name), FilterPattern: aws.String(pattern),
		MetricTransformations: []types.MetricTransformation{t},
	})
	return err
}

func TestMetricFiltersPublish(t *testing.T) {
	e := newEnv(t)
	e.group("app")
	e.stream("app", "s")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Count errors, with 0 for other events.
	must(e.metricFilter("app", "errors", "ERROR", types.MetricTransformation{
		MetricName: aws.String("Errors"), MetricNamespace: aws.String("App"), MetricValue: aws.String("1"), DefaultValue: aws.Float64(0), Unit: types.StandardUnitCount}))
	// Latency from JSON events, by path.
	must(e.metricFilter("app", "latency", `{ $.latency = * }`, types.MetricTransformation{
		MetricName: aws.String("Latency"), MetricNamespace: aws.String("App/HTTP"), MetricValue: aws.String("$.latency"),
		Dimensions: map[string]string{"Path": "$.path"}, Unit: types.StandardUnitMilliseconds}))
	// Bytes from space-delimited access lines with a 4xx status.
	must(e.metricFilter("app", "bytes", `[ip, user, ..., status = 4*, bytes]`, types.MetricTransformation{
		MetricName: aws.String("ClientErrorBytes"), MetricNamespace: aws.String("App/HTTP"), MetricValue: aws.String("$bytes"),
		Dimensions: map[string]string{"Status": "$status"}}))

	now := e.now()
	e.put("app", "s", times(now-3000, 4, 1000),
		"ERROR disk full",
		`{"latency":125.5,"path":"/api"}`,
		`{"latency":"slow","path":"/x"}`, // not a number: no data point
		apacheLine)

	errs := e.sink.metrics("App")
	if len(errs) != 4 {
		t.Fatalf("Errors data points: %+v", errs)
	}
	var values []float64
	for _, m := range errs {
		values = append(values, m.Value)
		if m.Name != "Errors" || m.Unit != "Count" || len(m.Dimensions) != 0 {
			t.Fatalf("data point: %+v", m)
		}
	}
	if !slices.Equal(values, []float64{1, 0, 0, 0}) || !errs[0].Timestamp.Equal(time.UnixMilli(now-3000)) {
		t.Fatalf("Errors values %v at %v", values, errs[0].Timestamp)
	}
	http := e.sink.metrics("App/HTTP")
	if len(http) != 2 {
		t.Fatalf("App/HTTP data points: %+v", http)
	}
	lat, by := http[0], http[1]
	if lat.Name != "Latency" || lat.Value != 125.5 || lat.Unit != "Milliseconds" || !maps.Equal(lat.Dimensions, map[string]string{"Path": "/api"}) {
		t.Fatalf("latency: %+v", lat)
	}
	if by.Name != "ClientErrorBytes" || by.Value != 1534 || !maps.Equal(by.Dimensions, map[string]string{"Status": "404"}) {
		t.Fatalf("bytes: %+v", by)
	}

	// Rejected events publish nothing; deleting a filter stops it.
	if _, err := e.client.DeleteMetricFilter(e.ctx, &sdk.DeleteMetricFilterInput{LogGroupName: aws.String("app"), FilterName: aws.String("errors")}); err != nil {
		t.Fatal(err)
	}
	e.put("app", "s", []int64{now}, "ERROR again")
	if n := len(e.sink.metrics("App")); n != 4 {
		t.Fatalf("a deleted filter published: %d data points", n)
	}
	_, err := e.client.DeleteMetricFilter(e.ctx, &sdk.DeleteMetricFilterInput{LogGroupName: aws.String("app"), FilterName: aws.String("errors")})
	wantType[*types.ResourceNotFoundException](t, err)

	// Filters survive a restart.
	e.reopen()
	e.put("app", "s", []int64{now}, `{"latency":7,"path":"/r"}`)
	if http := e.sink.metrics("App/HTTP"); len(http) != 3 || http[2].Value != 7 {
		t.Fatalf("after restart: %+v", http)
	}
}

func TestMetricFiltersDescribe(t *testing.T) {
	e := newEnv(t)
	e.group("b")
	e.group("a")
	tr := func(name, ns string) types.MetricTransformation {
		return types.MetricTransformation{MetricName: aws.String(name), MetricNamespace: aws.String(ns), MetricValue: aws.String("1")}
	}
	for _, f := range []struct{ group, name, metric string }{
		{"a", "err-1", "E1"}, {"a", "err-2", "E2"}, {"a", "warn", "W"}, {"b", "err-1", "E1"},
	} {
		if err := e.metricFilter(f.group, f.name, "ERROR", tr(f.metric, "NS")); err != nil {
			t.Fatal(err)
		}
	}
	// Replacing keeps the creation time and changes the pattern.
	e.clock.Advance(time.Minute)
	if err := e.metricFilter("a", "warn", "WARN", tr("W", "NS")); err != nil {
		t.Fatal(err)
	}
	list := func(in *sdk.DescribeMetricFiltersInput) []string {
		t.Helper()
		var got []string
		p := sdk.NewDescribeMetricFiltersPaginator(e.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range out.MetricFilters {
				got = append(got, aws.ToString(f.LogGroupName)+"/"+aws.ToString(f.FilterName))
			}
		}
		return got
	}
	for _, tc := range []struct {
		in   *sdk.DescribeMetricFiltersInput
		want []string
	}{
		{&sdk.DescribeMetricFiltersInput{Limit: aws.Int32(1)}, []string{"a/err-1", "a/err-2", "a/warn", "b/err-1"}},
		{&sdk.DescribeMetricFiltersInput{LogGroupName: aws.String("a"), FilterNamePrefix: aws.String("err")}, []string{"a/err-1", "a/err-2"}},
		{&sdk.DescribeMetricFiltersInput{MetricName: aws.String("E1"), MetricNamespace: aws.String("NS")}, []string{"a/err-1", "b/err-1"}},
	} {
		if got := list(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("DescribeMetricFilters %+v: %v, want %v", *tc.in, got, tc.want)
		}
	}
	out, err := e.client.DescribeMetricFilters(e.ctx, &sdk.DescribeMetricFiltersInput{LogGroupName: aws.String("a"), FilterNamePrefix: aws.String("warn")})
	if err != nil {
		t.Fatal(err)
	}
	f := out.MetricFilters[0]
	if aws.ToString(f.FilterPattern) != "WARN" || aws.ToInt64(f.CreationTime) != testStart.UnixMilli() || aws.ToString(f.MetricTransformations[0].MetricValue) != "1" {
		t.Fatalf("filter: %+v", f)
	}
	groups, _ := e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{})
	if aws.ToInt32(groups.LogGroups[0].MetricFilterCount) != 3 {
		t.Fatalf("metricFilterCount: %+v", groups.LogGroups[0])
	}
	_, err = e.client.DescribeMetricFilters(e.ctx, &sdk.DescribeMetricFiltersInput{MetricName: aws.String("E1")})
	wantCode(t, err, "InvalidParameterException", "metricName and metricNamespace")
	_, err = e.client.DescribeMetricFilters(e.ctx, &sdk.DescribeMetricFiltersInput{LogGroupName: aws.String("none")})
	wantType[*types.ResourceNotFoundException](t, err)
}

func TestMetricFilterValidation(t *testing.T) {
	e := newEnv(t)
	e.group("g")
	tr := func(value string) types.MetricTransformation {
		return types.MetricTransformation{MetricName: aws.String("M"), MetricNamespace: aws.String("NS"), MetricValue: aws.String(value)}
	}
	withDims := tr("1")
	withDims.Dimensions = map[string]string{"A": "$.a"}
	withDims.DefaultValue = aws.Float64(0)
	fourDims := tr("$.v")
	fourDims.Dimensions = map[string]string{"A": "$.a", "B": "$.b", "C": "$.c", "D": "$.d"}
	literalDim := tr("1")
	literalDim.Dimensions = map[string]string{"A": "fixed"}
	badUnit := tr("1")
	badUnit.Unit = "Parsecs"
	badName := tr("1")
	badName.MetricName = aws.String("a:b")
	for _, tc := range []struct {
		pattern string
		t       types.MetricTransformation
		msg     string
	}{
		{"a:b", tr("1"), "Invalid character(s) in term ':'"},
		{"ERROR", tr("$.latency"), "JSON selectors can be used only with JSON filter patterns"},
		{"[a, b]", tr("$c"), "$c is not a field of the filter pattern"},
		{"{ $.a = 1 }", tr("$a"), "Field names can be used only with space-delimited filter patterns"},
		{"{ $.a = 1 }", tr("fast"), "Invalid metric value: fast"},
		{`{ $.a = 1 }`, withDims, "cannot have a default value"},
		{`{ $.a = 1 }`, fourDims, "at most 3 dimensions"},
		{`{ $.a = 1 }`, literalDim, "Invalid dimension value: fixed"},
		{"ERROR", badUnit, "Member must satisfy enum value set"},
		{"ERROR", badName, `Member must satisfy regular expression pattern: [^:*$]*`},
	} {
		err := e.metricFilter("g", "f", tc.pattern, tc.t)
		wantType[*types.InvalidParameterException](t, err)
		wantCode(t, err, "InvalidParameterException", tc.msg)
	}
	err := e.metricFilter("none", "f", "ERROR", tr("1"))
	wantCode(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	for i := range 100 {
		if err := e.metricFilter("g", fmt.Sprintf("f%03d", i), "ERROR", tr("1")); err != nil {
			t.Fatal(err)
		}
	}
	err = e.metricFilter("g", "one-too-many", "ERROR", tr("1"))
	wantType[*types.LimitExceededException](t, err)
	if err := e.metricFilter("g", "f000", "WARN", tr("2")); err != nil {
		t.Fatalf("replacing a filter at the limit: %v", err)
	}
}

func TestTestMetricFilter(t *testing.T) {
	e := newEnv(t)
	out, err := e.client.TestMetricFilter(e.ctx, &sdk.TestMetricFilterInput{
		FilterPattern:    aws.String(`[..., request=*.html*, status_code=4*,]`),
		LogEventMessages: []string{apacheLine, "no match", `127.0.0.1 - frank [x] "GET /a.php HTTP/1.0" 404 10`},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Matches) != 1 {
		t.Fatalf("matches: %+v", out.Matches)
	}
	m := out.Matches[0]
	want := map[string]string{"$status_code": "404", "$request": "GET /index.html HTTP/1.0", "$7": "1534",
		"$4": "10/Oct/2000:13:25:15 -0700", "$3": "frank", "$2": "-", "$1": "127.0.0.1"}
	if m.EventNumber != 1 || aws.ToString(m.EventMessage) != apacheLine || !maps.Equal(m.ExtractedValues, want) {
		t.Fatalf("match: %+v", m)
	}
	out, err = e.client.TestMetricFilter(e.ctx, &sdk.TestMetricFilterInput{FilterPattern: aws.String(`{ $.a > 1 }`), LogEventMessages: []string{`{"a":1}`, `{"a":2}`}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Matches) != 1 || out.Matches[0].EventNumber != 2 || out.Matches[0].ExtractedValues == nil || len(out.Matches[0].ExtractedValues) != 0 {
		t.Fatalf("JSON matches: %+v", out.Matches)
	}
	_, err = e.client.TestMetricFilter(e.ctx, &sdk.TestMetricFilterInput{FilterPattern: aws.String(`{ $.a > x }`), LogEventMessages: []string{"x"}})
	wantCode(t, err, "InvalidParameterException", "need a numeric value")
	_, err = e.client.TestMetricFilter(e.ctx, &sdk.TestMetricFilterInput{FilterPattern: aws.String(`x`), LogEventMessages: make([]string, 51)})
	wantCode(t, err, "InvalidParameterException", "Member must have length between 1 and 50")
}
