package cloudwatch

import (
	"strings"
	"testing"
	"time"
)

func TestWritePrometheus(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	if err := e.s.Put(e.ctx, "AWS/ECS", []MetricDatum{
		{MetricName: "CPUUtilization", Value: ptr(10.0), Timestamp: ptr(now.Add(-2 * time.Minute)), Dimensions: []Dimension{{"ClusterName", "default"}, {"ServiceName", "web"}}},
		{MetricName: "CPUUtilization", Value: ptr(20.0), Timestamp: ptr(now), Dimensions: []Dimension{{"ClusterName", "default"}, {"ServiceName", "web"}}},
		{MetricName: "CPUUtilization", Value: ptr(40.0), Timestamp: ptr(now), Dimensions: []Dimension{{"ClusterName", "default"}, {"ServiceName", "web"}}},
		{MetricName: "CPUUtilization", Value: ptr(5.0), Timestamp: ptr(now), Dimensions: []Dimension{{"ClusterName", "default"}, {"ServiceName", "api"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Put(e.ctx, "My App", []MetricDatum{{MetricName: "p99-latency", Value: ptr(1.5), Timestamp: ptr(now),
		Dimensions: []Dimension{{"namespace", "x"}, {"Route", `/a"b`}}}}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := e.s.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP aws_ecs_cpuutilization CloudWatch metric AWS/ECS CPUUtilization: average of the latest minute with data.
# TYPE aws_ecs_cpuutilization gauge
aws_ecs_cpuutilization{namespace="AWS/ECS",ClusterName="default",ServiceName="api"} 5
aws_ecs_cpuutilization{namespace="AWS/ECS",ClusterName="default",ServiceName="web"} 30
# HELP my_app_p99_latency CloudWatch metric My App p99-latency: average of the latest minute with data.
# TYPE my_app_p99_latency gauge
my_app_p99_latency{namespace="My App",Route="/a\"b",dim_namespace="x"} 1.5
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
