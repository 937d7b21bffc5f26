package cloudwatch

import (
	"context"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// resources returns the ARNs an operation is authorized on, as the service
// authorization reference lists them: the alarm ARNs of the alarm operations, the
// resource ARN of the tagging operations, and "*" (nil) for the metric operations,
// DescribeAlarmsForMetric, and DescribeAlarms or DescribeAlarmHistory without
// alarm names.
func (s *Service) resources(_ context.Context, in any) []string {
	var names []string
	switch v := in.(type) {
	case *PutMetricAlarmInput:
		names = []string{v.AlarmName}
	case *PutCompositeAlarmInput:
		names = []string{v.AlarmName}
	case *DescribeAlarmsInput:
		names = v.AlarmNames
	case *DescribeAlarmHistoryInput:
		if v.AlarmName != nil {
			names = []string{*v.AlarmName}
		}
	case *SetAlarmStateInput:
		names = []string{v.AlarmName}
	case *AlarmNamesInput:
		names = v.AlarmNames
	case *TagResourceInput:
		return nonEmpty(v.ResourceARN)
	case *UntagResourceInput:
		return nonEmpty(v.ResourceARN)
	case *ListTagsForResourceInput:
		return nonEmpty(v.ResourceARN)
	}
	var out []string
	for _, n := range names {
		if n != "" {
			out = append(out, s.alarmARN(n))
		}
	}
	return out
}

func nonEmpty(arn string) []string {
	if arn == "" {
		return nil
	}
	return []string{arn}
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		op.Resources = s.resources
		ops[name] = op
	}
	return ops
}
