package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awslogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/internal/app"
)

// TestPrometheus: GET /metrics exposes Wharf's own metrics and the CloudWatch metrics
// put through the real SDK client, without a signature.
func TestPrometheus(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	_, err := awscw.NewFromConfig(s.awsConfig()).PutMetricData(ctx, &awscw.PutMetricDataInput{Namespace: aws.String("Shop"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Orders"), Value: aws.Float64(42),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("Region"), Value: aws.String("eu")}}}}})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	resp, err := http.Get(s.app.Endpoint() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`wharf_api_requests_total{service="monitoring",operation="PutMetricData",code="OK"} 1`,
		`shop_orders{namespace="Shop",Region="eu"} 42`,
		"go_goroutines ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// chatterTask registers a task definition running chatter with the awslogs driver
// into group under stream prefix "app", with env, reserving cpu units.
func chatterTask(t *testing.T, s *server, family, group string, cpu int32, env map[string]string) {
	t.Helper()
	var kv []ecstypes.KeyValuePair
	for k, v := range env {
		kv = append(kv, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	_, err := s.ecs.RegisterTaskDefinition(context.Background(), &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), Cpu: aws.String(strconv.Itoa(int(cpu))), Memory: aws.String("64"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("chatter"), Image: aws.String("process:" + chatterBin), Environment: kv,
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": group, "awslogs-stream-prefix": "app", "awslogs-create-group": "true", "awslogs-region": "us-east-1"}},
		}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
}

// runToCompletion runs a task of family and waits until it has stopped; it returns the
// task's id (the last part of its ARN).
func runToCompletion(t *testing.T, s *server, family string) string {
	t.Helper()
	ctx := context.Background()
	out, err := s.ecs.RunTask(ctx, &awsecs.RunTaskInput{TaskDefinition: aws.String(family)})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("RunTask: %v", err)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	eventually(t, 60*time.Second, family+" stopped", func() error {
		d, err := s.ecs.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Tasks: []string{arn}})
		if err != nil {
			return err
		}
		if st := aws.ToString(d.Tasks[0].LastStatus); st != "STOPPED" {
			return fmt.Errorf("lastStatus %s", st)
		}
		return nil
	})
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// TestAwslogs: what a task prints, on stdout and stderr, lands in its log stream
// ("prefix/container/task-id", as ECS names it) and FilterLogEvents finds it with each
// kind of filter pattern.
func TestAwslogs(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	chatterTask(t, s, "chatter", "/ecs/chatter", 256, nil)
	id := runToCompletion(t, s, "chatter")
	cl := awslogs.NewFromConfig(s.awsConfig())
	stream := "app/chatter/" + id
	var lines []string
	eventually(t, 30*time.Second, "the task's output in its stream", func() error {
		out, err := cl.GetLogEvents(ctx, &awslogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/chatter"), LogStreamName: &stream, StartFromHead: aws.Bool(true)})
		if err != nil {
			return err
		}
		lines = lines[:0]
		for _, e := range out.Events {
			lines = append(lines, aws.ToString(e.Message))
		}
		if len(lines) < 7 {
			return fmt.Errorf("%d lines: %q", len(lines), lines)
		}
		return nil
	})
	for _, want := range []string{"starting chatter", `{"level":"error","latency":250,"msg":"slow upstream"}`, "warning on stderr", "ERROR request 0 failed"} {
		if !slices.Contains(lines, want) {
			t.Errorf("stream %s lacks %q: %q", stream, want, lines)
		}
	}
	for pattern, want := range map[string][]string{
		"ERROR":           {"ERROR request 0 failed"},
		`"slow upstream"`: {`{"level":"error","latency":250,"msg":"slow upstream"}`},
		"?alice ?bob":     {"127.0.0.1 alice GET /items 500 1234", "127.0.0.1 bob GET /items 200 99"},
		"GET -alice":      {"127.0.0.1 bob GET /items 200 99"},
		`{ $.level = "error" && $.latency > 200 }`:     {`{"level":"error","latency":250,"msg":"slow upstream"}`},
		`[ip, user, method, path, status = 5*, bytes]`: {"127.0.0.1 alice GET /items 500 1234"},
	} {
		out, err := cl.FilterLogEvents(ctx, &awslogs.FilterLogEventsInput{LogGroupName: aws.String("/ecs/chatter"), FilterPattern: aws.String(pattern)})
		if err != nil {
			t.Errorf("FilterLogEvents %s: %v", pattern, err)
			continue
		}
		var got []string
		for _, e := range out.Events {
			got = append(got, aws.ToString(e.Message))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("FilterLogEvents %s: %q, want %q", pattern, got, want)
		}
	}
}

// TestMetricFilterAlarm: a metric filter counts the ERROR lines a service prints; an
// alarm on that count goes to ALARM while they come and back to OK when they stop.
// The time scale makes a 60-second period pass in one second.
func TestMetricFilterAlarm(t *testing.T) {
	s := startServerConfig(t, app.Config{DataDir: t.TempDir(), Driver: "process", TimeScale: 60})
	ctx := context.Background()
	cl := awslogs.NewFromConfig(s.awsConfig())
	if _, err := cl.CreateLogGroup(ctx, &awslogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/errors")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutMetricFilter(ctx, &awslogs.PutMetricFilterInput{LogGroupName: aws.String("/ecs/errors"), FilterName: aws.String("errors"),
		FilterPattern: aws.String("ERROR"), MetricTransformations: []logstypes.MetricTransformation{{
			MetricName: aws.String("Errors"), MetricNamespace: aws.String("App"), MetricValue: aws.String("1")}}}); err != nil {
		t.Fatalf("PutMetricFilter: %v", err)
	}
	cw := awscw.NewFromConfig(s.awsConfig())
	if _, err := cw.PutMetricAlarm(ctx, &awscw.PutMetricAlarmInput{AlarmName: aws.String("errors"), Namespace: aws.String("App"),
		MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData: aws.String("notBreaching")}); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	// ERROR lines for 6 s, then quiet.
	chatterTask(t, s, "errors", "/ecs/errors", 256, map[string]string{"ROUNDS": "30", "INTERVAL": "200ms", "STAY": "1"})
	if _, err := s.ecs.RunTask(ctx, &awsecs.RunTaskInput{TaskDefinition: aws.String("errors")}); err != nil {
		t.Fatal(err)
	}
	state := func(want cwtypes.StateValue) func() error {
		return func() error {
			out, err := cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{AlarmNames: []string{"errors"}})
			if err != nil {
				return err
			}
			if got := out.MetricAlarms[0].StateValue; got != want {
				return fmt.Errorf("alarm is %s (%s)", got, aws.ToString(out.MetricAlarms[0].StateReason))
			}
			return nil
		}
	}
	eventually(t, 30*time.Second, "the alarm in ALARM", state(cwtypes.StateValueAlarm))
	eventually(t, 40*time.Second, "the alarm back to OK", state(cwtypes.StateValueOk))
	hist, err := cw.DescribeAlarmHistory(ctx, &awscw.DescribeAlarmHistoryInput{AlarmName: aws.String("errors"), HistoryItemType: cwtypes.HistoryItemTypeStateUpdate})
	if err != nil || len(hist.AlarmHistoryItems) < 2 {
		t.Fatalf("DescribeAlarmHistory: %v, %d items", err, len(hist.AlarmHistoryItems))
	}
	stats, err := cw.GetMetricStatistics(ctx, &awscw.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("Errors"),
		StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)), Period: aws.Int32(3600),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Datapoints) != 1 || aws.ToFloat64(stats.Datapoints[0].Sum) != 30 {
		t.Fatalf("Errors counted: %+v, want one datapoint of Sum 30", stats.Datapoints)
	}
}

// TestPlatformMetrics: AWS/ECS CPUUtilization of a service rises while its task burns
// CPU and stays low for an idle one; ECS/ContainerInsights counts its tasks; the
// AWS/ApplicationELB RequestCount equals the requests sent through a load balancer.
func TestPlatformMetrics(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	ctx := context.Background()
	chatterTask(t, s, "burner", "/ecs/burner", 512, map[string]string{"BURN": "1"})
	chatterTask(t, s, "idler", "/ecs/idler", 512, map[string]string{"STAY": "1"})
	for _, name := range []string{"burner", "idler"} {
		if _, err := s.ecs.CreateService(ctx, &awsecs.CreateServiceInput{ServiceName: aws.String(name), TaskDefinition: aws.String(name), DesiredCount: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
	}
	cw := awscw.NewFromConfig(s.awsConfig())
	stat := func(ns, name string, st cwtypes.Statistic, dims map[string]string) (float64, error) {
		in := &awscw.GetMetricStatisticsInput{Namespace: aws.String(ns), MetricName: aws.String(name), Period: aws.Int32(3600),
			StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)), Statistics: []cwtypes.Statistic{st}}
		for k, v := range dims {
			in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
		}
		out, err := cw.GetMetricStatistics(ctx, in)
		if err != nil {
			return 0, err
		}
		if len(out.Datapoints) == 0 {
			return 0, fmt.Errorf("no datapoints of %s %s %v", ns, name, dims)
		}
		d := out.Datapoints[0]
		return aws.ToFloat64(map[cwtypes.Statistic]*float64{cwtypes.StatisticMaximum: d.Maximum, cwtypes.StatisticSum: d.Sum, cwtypes.StatisticAverage: d.Average}[st]), nil
	}
	svc := func(name string) map[string]string {
		return map[string]string{"ClusterName": "default", "ServiceName": name}
	}
	eventually(t, 60*time.Second, "the burner's CPU utilization above 50%", func() error {
		v, err := stat("AWS/ECS", "CPUUtilization", cwtypes.StatisticMaximum, svc("burner"))
		if err == nil && v <= 50 {
			err = fmt.Errorf("CPUUtilization max %.1f%%", v)
		}
		return err
	})
	if v, err := stat("AWS/ECS", "CPUUtilization", cwtypes.StatisticAverage, svc("idler")); err != nil || v > 20 {
		t.Errorf("the idle service's CPU utilization: %.1f%%, %v; want under 20%%", v, err)
	}
	if v, err := stat("ECS/ContainerInsights", "RunningTaskCount", cwtypes.StatisticMaximum, svc("burner")); err != nil || v != 1 {
		t.Errorf("RunningTaskCount: %v, %v; want 1", v, err)
	}

	// RequestCount through a load balancer.
	a := newALB(t, s, "metered")
	tg := a.targetGroup("metered", upstream(t, "u1"))
	if err := a.rule(1, []elbtypes.RuleCondition{cond("path-pattern", "/*")}, forward(tg)); err != nil {
		t.Fatal(err)
	}
	const sent = 37
	for i := 0; i < sent; i++ {
		if code, _, _ := a.get("GET", "/items", nil); code != 200 {
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	lbDim := a.arn[strings.Index(a.arn, ":loadbalancer/")+len(":loadbalancer/"):]
	eventually(t, 30*time.Second, "RequestCount equal to the requests sent", func() error {
		v, err := stat("AWS/ApplicationELB", "RequestCount", cwtypes.StatisticSum, map[string]string{"LoadBalancer": lbDim})
		if err == nil && v != sent {
			err = fmt.Errorf("RequestCount %v, want %d", v, sent)
		}
		return err
	})
}
