package autoscaling

import (
	"context"
	"strings"

	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/store"
)

// The service authorization reference authorizes the Describe* actions (and
// GetPredictiveScalingForecast) on "*" only; every other action is on the
// ScalableTarget resource, arn:aws:application-autoscaling:<region>:<account>:
// scalable-target/<id>, with the condition keys application-autoscaling:service-
// namespace and application-autoscaling:scalable-dimension.

// resources returns the scalable target ARN a call is authorized on: the target the
// input names (its ARN is derived from its identity, so a target being registered has
// it too) or the ResourceARN of the tagging calls; nil ("*") when the input names
// no valid target, for the operation to report.
func (s *Service) resources(_ context.Context, in any) []string {
	if arn := resourceARN(in); arn != "" {
		return []string{arn}
	}
	k, ok := inputTarget(in)
	if !ok {
		return nil
	}
	kk, err := parseTarget(k.Namespace, k.ResourceID, k.Dimension)
	if err != nil {
		return nil
	}
	return []string{s.targetARN(s.targetID(kk))}
}

// resourceARN returns the ResourceARN of a tagging call.
func resourceARN(in any) string {
	switch v := in.(type) {
	case *TagResourceInput:
		return v.ResourceARN
	case *UntagResourceInput:
		return v.ResourceARN
	case *ListTagsForResourceInput:
		return v.ResourceARN
	}
	return ""
}

// inputTarget returns the target identity an input carries.
func inputTarget(in any) (targetKey, bool) {
	switch v := in.(type) {
	case *RegisterScalableTargetInput:
		return targetKey{v.ServiceNamespace, v.ResourceId, v.ScalableDimension}, true
	case *DeregisterScalableTargetInput:
		return targetKey{v.ServiceNamespace, v.ResourceId, v.ScalableDimension}, true
	case *PutScalingPolicyInput:
		return targetKey{v.ServiceNamespace, v.ResourceId, v.ScalableDimension}, true
	case *DeleteScalingPolicyInput:
		return targetKey{v.ServiceNamespace, v.ResourceId, v.ScalableDimension}, true
	case *PutScheduledActionInput:
		return targetKey{v.ServiceNamespace, v.ResourceId, v.ScalableDimension}, true
	case *DeleteScheduledActionInput:
		return targetKey{v.ServiceNamespace, v.ResourceId, v.ScalableDimension}, true
	}
	return targetKey{}, false
}

// conditions returns application-autoscaling:service-namespace and
// application-autoscaling:scalable-dimension of a call: from its input, or for the
// tagging calls from the target its ARN names.
func (s *Service) conditions(ctx context.Context, in any) map[string][]string {
	k, ok := inputTarget(in)
	if !ok {
		arn := resourceARN(in)
		if arn == "" {
			return nil
		}
		_ = s.view(ctx, func(tx *store.Tx) error {
			t, err := s.targetByARN(tx, arn)
			if t != nil {
				k, ok = t.targetKey, true
			}
			return err
		})
		if !ok {
			return nil
		}
	}
	out := map[string][]string{}
	if k.Namespace != "" {
		out["application-autoscaling:service-namespace"] = []string{k.Namespace}
	}
	if k.Dimension != "" {
		out["application-autoscaling:scalable-dimension"] = []string{k.Dimension}
	}
	return out
}

// dependent returns the other authorizations RegisterScalableTarget needs, as the
// reference lists them: application-autoscaling:TagResource when it tags the target,
// and iam:PassRole on a RoleARN that is not a service-linked role.
func (s *Service) dependent(ctx context.Context, in any) []awsapi.Authorization {
	v, ok := in.(*RegisterScalableTargetInput)
	if !ok {
		return nil
	}
	arns := s.resources(ctx, in)
	var out []awsapi.Authorization
	if len(v.Tags) > 0 && len(arns) > 0 {
		out = append(out, awsapi.Authorization{Action: "application-autoscaling:TagResource", Resources: arns,
			Conditions: s.conditions(ctx, in), ResourceTags: s.ResourceTags})
	}
	if r := deref(v.RoleARN); r != "" && !strings.Contains(r, ":role/aws-service-role/") {
		out = append(out, awsapi.Authorization{Action: "iam:PassRole", Resources: []string{r},
			Conditions: map[string][]string{"iam:PassedToService": {"application-autoscaling.amazonaws.com"}}})
	}
	return out
}

// withResources sets the authorization resources, condition keys and dependent
// authorizations of the operation table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		switch name {
		case "DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScalingActivities",
			"DescribeScheduledActions", "GetPredictiveScalingForecast":
		default:
			op.Resources = s.resources
			op.Conditions = s.conditions
		}
		if name == "RegisterScalableTarget" {
			op.Dependent = s.dependent
		}
		ops[name] = op
	}
	return ops
}
