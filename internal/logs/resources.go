package logs

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// resources returns the ARNs an operation is authorized on, as the service
// authorization reference lists them: the log stream for PutLogEvents and
// GetLogEvents, the log group (with the ":*" IAM matches group actions against) for
// the other operations on a group or its streams and metric filters, and "*" for
// DescribeLogGroups, TestMetricFilter and DescribeMetricFilters without a group.
func (s *Service) resources(_ context.Context, in any) []string {
	group := func(name *string) []string {
		if name == nil || *name == "" {
			return nil
		}
		return []string{s.groupARN(*name)}
	}
	// byIdentifier authorizes on the group named by a logGroupName or a
	// logGroupIdentifier (name or ARN).
	byIdentifier := func(name, identifier *string) []string {
		if name != nil {
			return group(name)
		}
		if identifier == nil || *identifier == "" {
			return nil
		}
		if g, ok := s.groupFromARN(*identifier); ok {
			return []string{s.groupARN(g)}
		}
		if strings.HasPrefix(*identifier, "arn:") {
			return []string{*identifier} // another account's or region's group
		}
		return group(identifier)
	}
	switch v := in.(type) {
	case *CreateLogGroupInput:
		return group(v.LogGroupName)
	case *DeleteLogGroupInput:
		return group(v.LogGroupName)
	case *PutRetentionPolicyInput:
		return group(v.LogGroupName)
	case *DeleteRetentionPolicyInput:
		return group(v.LogGroupName)
	case *TagLogGroupInput:
		return group(v.LogGroupName)
	case *UntagLogGroupInput:
		return group(v.LogGroupName)
	case *ListTagsLogGroupInput:
		return group(v.LogGroupName)
	case *TagResourceInput:
		return s.taggedResource(v.ResourceArn)
	case *UntagResourceInput:
		return s.taggedResource(v.ResourceArn)
	case *ListTagsForResourceInput:
		return s.taggedResource(v.ResourceArn)
	case *CreateLogStreamInput:
		return group(v.LogGroupName)
	case *DeleteLogStreamInput:
		return group(v.LogGroupName)
	case *DescribeLogStreamsInput:
		return byIdentifier(v.LogGroupName, v.LogGroupIdentifier)
	case *PutLogEventsInput:
		if v.LogGroupName == nil || v.LogStreamName == nil {
			return nil
		}
		return []string{s.streamARN(*v.LogGroupName, *v.LogStreamName)}
	case *GetLogEventsInput:
		g := byIdentifier(v.LogGroupName, v.LogGroupIdentifier)
		if len(g) == 0 || v.LogStreamName == nil {
			return g
		}
		return []string{strings.TrimSuffix(g[0], ":*") + ":log-stream:" + *v.LogStreamName}
	case *FilterLogEventsInput:
		return byIdentifier(v.LogGroupName, v.LogGroupIdentifier)
	case *PutMetricFilterInput:
		return group(v.LogGroupName)
	case *DescribeMetricFiltersInput:
		return group(v.LogGroupName)
	case *DeleteMetricFilterInput:
		return group(v.LogGroupName)
	}
	return nil
}

// taggedResource is the resource of a tagging call: the group ARN in IAM's ":*" form,
// or the ARN as given for other resources.
func (s *Service) taggedResource(arn *string) []string {
	if arn == nil || *arn == "" {
		return nil
	}
	if g, ok := s.groupFromARN(*arn); ok {
		return []string{s.groupARN(g)}
	}
	return []string{*arn}
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		switch name {
		case "DescribeLogGroups", "TestMetricFilter":
		default:
			op.Resources = s.resources
		}
		ops[name] = op
	}
	return ops
}
