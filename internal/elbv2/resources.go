package elbv2

import (
	"context"

	"github.com/wharf-dev/wharf/internal/awsapi"
)

// resources returns the ARNs an operation is authorized on, as the service
// authorization reference lists them: the load balancer, listener, rule or target
// group the call acts on; for the creation of a load balancer or target group, the
// ARN pattern of the new resource (its id is not yet known); nil ("*") for the
// Describe* operations and DescribeAccountLimits.
func (s *Service) resources(_ context.Context, in any) []string {
	var arns []string
	switch v := in.(type) {
	case *CreateLoadBalancerInput:
		if n := deref(v.Name); n != "" {
			arns = []string{s.arnPrefix() + "loadbalancer/app/" + n + "/*"}
		}
	case *DeleteLoadBalancerInput:
		arns = []string{deref(v.LoadBalancerArn)}
	case *ModifyLoadBalancerAttributesInput:
		arns = []string{deref(v.LoadBalancerArn)}
	case *SetSecurityGroupsInput:
		arns = []string{deref(v.LoadBalancerArn)}
	case *SetSubnetsInput:
		arns = []string{deref(v.LoadBalancerArn)}
	case *CreateTargetGroupInput:
		if n := deref(v.Name); n != "" {
			arns = []string{s.arnPrefix() + "targetgroup/" + n + "/*"}
		}
	case *ModifyTargetGroupInput:
		arns = []string{deref(v.TargetGroupArn)}
	case *DeleteTargetGroupInput:
		arns = []string{deref(v.TargetGroupArn)}
	case *ModifyTargetGroupAttributesInput:
		arns = []string{deref(v.TargetGroupArn)}
	case *RegisterTargetsInput:
		arns = []string{deref(v.TargetGroupArn)}
	case *DeregisterTargetsInput:
		arns = []string{deref(v.TargetGroupArn)}
	case *CreateListenerInput:
		arns = []string{deref(v.LoadBalancerArn)}
	case *ModifyListenerInput:
		arns = []string{deref(v.ListenerArn)}
	case *DeleteListenerInput:
		arns = []string{deref(v.ListenerArn)}
	case *CreateRuleInput:
		arns = []string{deref(v.ListenerArn)}
	case *ModifyRuleInput:
		arns = []string{deref(v.RuleArn)}
	case *DeleteRuleInput:
		arns = []string{deref(v.RuleArn)}
	case *SetRulePrioritiesInput:
		for _, p := range v.RulePriorities {
			arns = append(arns, deref(p.RuleArn))
		}
	case *AddTagsInput:
		arns = v.ResourceArns
	case *RemoveTagsInput:
		arns = v.ResourceArns
	}
	out := make([]string, 0, len(arns))
	for _, a := range arns {
		if a != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// withResources sets the authorization resources of every operation of the table.
func (s *Service) withResources(ops map[string]awsapi.Operation) map[string]awsapi.Operation {
	for name, op := range ops {
		op.Resources = s.resources
		ops[name] = op
	}
	return ops
}
