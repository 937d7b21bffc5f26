package logs

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestResources checks the ARNs each operation is authorized on.
func TestResources(t *testing.T) {
	e := newEnv(t)
	api := e.s.API()
	group := "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*"
	stream := "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:log-stream:task/1"
	bare := "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"
	name, sname := aws.String("/ecs/web"), aws.String("task/1")
	for _, tc := range []struct {
		op   string
		in   any
		want []string
	}{
		{"CreateLogGroup", &CreateLogGroupInput{LogGroupName: name}, []string{group}},
		{"DeleteLogGroup", &DeleteLogGroupInput{LogGroupName: name}, []string{group}},
		{"DescribeLogGroups", &DescribeLogGroupsInput{LogGroupNamePrefix: name}, nil},
		{"PutRetentionPolicy", &PutRetentionPolicyInput{LogGroupName: name}, []string{group}},
		{"DeleteRetentionPolicy", &DeleteRetentionPolicyInput{LogGroupName: name}, []string{group}},
		{"TagLogGroup", &TagLogGroupInput{LogGroupName: name}, []string{group}},
		{"UntagLogGroup", &UntagLogGroupInput{LogGroupName: name}, []string{group}},
		{"ListTagsLogGroup", &ListTagsLogGroupInput{LogGroupName: name}, []string{group}},
		{"TagResource", &TagResourceInput{ResourceArn: aws.String(bare)}, []string{group}},
		{"UntagResource", &UntagResourceInput{ResourceArn: aws.String(bare)}, []string{group}},
		{"ListTagsForResource", &ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:000000000000:destination:d")}, []string{"arn:aws:logs:us-east-1:000000000000:destination:d"}},
		{"CreateLogStream", &CreateLogStreamInput{LogGroupName: name, LogStreamName: sname}, []string{group}},
		{"DeleteLogStream", &DeleteLogStreamInput{LogGroupName: name, LogStreamName: sname}, []string{group}},
		{"DescribeLogStreams", &DescribeLogStreamsInput{LogGroupIdentifier: aws.String(bare)}, []string{group}},
		{"PutLogEvents", &PutLogEventsInput{LogGroupName: name, LogStreamName: sname}, []string{stream}},
		{"GetLogEvents", &GetLogEventsInput{LogGroupName: name, LogStreamName: sname}, []string{stream}},
		{"GetLogEvents", &GetLogEventsInput{LogGroupIdentifier: aws.String(bare), LogStreamName: sname}, []string{stream}},
		{"GetLogEvents", &GetLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:eu-west-1:111111111111:log-group:x"), LogStreamName: sname},
			[]string{"arn:aws:logs:eu-west-1:111111111111:log-group:x:log-stream:task/1"}},
		{"FilterLogEvents", &FilterLogEventsInput{LogGroupIdentifier: name}, []string{group}},
		{"FilterLogEvents", &FilterLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:eu-west-1:111111111111:log-group:x")}, []string{"arn:aws:logs:eu-west-1:111111111111:log-group:x"}},
		{"PutMetricFilter", &PutMetricFilterInput{LogGroupName: name}, []string{group}},
		{"DescribeMetricFilters", &DescribeMetricFiltersInput{LogGroupName: name}, []string{group}},
		{"DescribeMetricFilters", &DescribeMetricFiltersInput{}, nil},
		{"DeleteMetricFilter", &DeleteMetricFilterInput{LogGroupName: name}, []string{group}},
		{"TestMetricFilter", &TestMetricFilterInput{}, nil},
	} {
		op, ok := api.Operations[tc.op]
		if !ok {
			t.Fatalf("no operation %s", tc.op)
		}
		var got []string
		if op.Resources != nil {
			got = op.Resources(context.Background(), tc.in)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %+v: resources %v, want %v", tc.op, tc.in, got, tc.want)
		}
	}
	if len(api.Operations) != 21 || api.TargetPrefix != "Logs_20140328" || api.SigningName != "logs" || api.Action("PutLogEvents") != "logs:PutLogEvents" {
		t.Fatalf("API: %d operations, prefix %s, name %s", len(api.Operations), api.TargetPrefix, api.SigningName)
	}
}
