package cloudwatch

import (
	"context"
	"fmt"
	"testing"
)

func TestResources(t *testing.T) {
	s := &Service{region: "us-east-1", account: "123456789012"}
	arn := func(n string) string { return "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + n }
	tests := []struct {
		op   string
		in   any
		want []string
	}{
		{"PutMetricData", &PutMetricDataInput{Namespace: "App"}, nil},
		{"GetMetricData", &GetMetricDataInput{}, nil},
		{"GetMetricStatistics", &GetMetricStatisticsInput{}, nil},
		{"ListMetrics", &ListMetricsInput{}, nil},
		{"DescribeAlarmsForMetric", &DescribeAlarmsForMetricInput{MetricName: "x", Namespace: "y"}, nil},
		{"PutMetricAlarm", &PutMetricAlarmInput{AlarmName: "cpu"}, []string{arn("cpu")}},
		{"PutCompositeAlarm", &PutCompositeAlarmInput{AlarmName: "svc"}, []string{arn("svc")}},
		{"DescribeAlarms", &DescribeAlarmsInput{AlarmNames: []string{"a", "b"}}, []string{arn("a"), arn("b")}},
		{"DescribeAlarms all", &DescribeAlarmsInput{}, nil},
		{"DescribeAlarmHistory", &DescribeAlarmHistoryInput{AlarmName: ptr("a")}, []string{arn("a")}},
		{"SetAlarmState", &SetAlarmStateInput{AlarmName: "a"}, []string{arn("a")}},
		{"DeleteAlarms", &AlarmNamesInput{AlarmNames: []string{"a"}}, []string{arn("a")}},
		{"TagResource", &TagResourceInput{ResourceARN: arn("a")}, []string{arn("a")}},
		{"UntagResource", &UntagResourceInput{ResourceARN: arn("a")}, []string{arn("a")}},
		{"ListTagsForResource", &ListTagsForResourceInput{ResourceARN: arn("a")}, []string{arn("a")}},
	}
	for _, tc := range tests {
		if got := s.resources(context.Background(), tc.in); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
	// Every operation of the table has its resources set.
	for name, op := range (&Service{}).API().Operations {
		if op.Resources == nil {
			t.Errorf("%s has no Resources", name)
		}
	}
}
