package elbv2

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestResources(t *testing.T) {
	e := newEnv(t)
	p := e.s.arnPrefix()
	lb := p + "loadbalancer/app/web/0123456789abcdef"
	tg := p + "targetgroup/api/0123456789abcdef"
	ln := p + "listener/app/web/0123456789abcdef/1111111111111111"
	rule := p + "listener-rule/app/web/0123456789abcdef/1111111111111111/2222222222222222"
	rule2 := p + "listener-rule/app/web/0123456789abcdef/1111111111111111/3333333333333333"
	tests := []struct {
		op   string
		in   any
		want []string
	}{
		{"CreateLoadBalancer", &CreateLoadBalancerInput{Name: aws.String("web")}, []string{p + "loadbalancer/app/web/*"}},
		{"CreateLoadBalancer", &CreateLoadBalancerInput{}, nil},
		{"DeleteLoadBalancer", &DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lb)}, []string{lb}},
		{"ModifyLoadBalancerAttributes", &ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb)}, []string{lb}},
		{"SetSecurityGroups", &SetSecurityGroupsInput{LoadBalancerArn: aws.String(lb)}, []string{lb}},
		{"SetSubnets", &SetSubnetsInput{LoadBalancerArn: aws.String(lb)}, []string{lb}},
		{"CreateTargetGroup", &CreateTargetGroupInput{Name: aws.String("api")}, []string{p + "targetgroup/api/*"}},
		{"ModifyTargetGroup", &ModifyTargetGroupInput{TargetGroupArn: aws.String(tg)}, []string{tg}},
		{"DeleteTargetGroup", &DeleteTargetGroupInput{TargetGroupArn: aws.String(tg)}, []string{tg}},
		{"ModifyTargetGroupAttributes", &ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)}, []string{tg}},
		{"RegisterTargets", &RegisterTargetsInput{TargetGroupArn: aws.String(tg)}, []string{tg}},
		{"DeregisterTargets", &DeregisterTargetsInput{TargetGroupArn: aws.String(tg)}, []string{tg}},
		{"DeregisterTargets", &DeregisterTargetsInput{}, nil},
		{"CreateListener", &CreateListenerInput{LoadBalancerArn: aws.String(lb)}, []string{lb}},
		{"ModifyListener", &ModifyListenerInput{ListenerArn: aws.String(ln)}, []string{ln}},
		{"DeleteListener", &DeleteListenerInput{ListenerArn: aws.String(ln)}, []string{ln}},
		{"CreateRule", &CreateRuleInput{ListenerArn: aws.String(ln)}, []string{ln}},
		{"ModifyRule", &ModifyRuleInput{RuleArn: aws.String(rule)}, []string{rule}},
		{"DeleteRule", &DeleteRuleInput{RuleArn: aws.String(rule)}, []string{rule}},
		{"SetRulePriorities", &SetRulePrioritiesInput{RulePriorities: []RulePriorityPair{
			{RuleArn: aws.String(rule), Priority: aws.Int32(1)}, {RuleArn: aws.String(rule2), Priority: aws.Int32(2)},
		}}, []string{rule, rule2}},
		{"AddTags", &AddTagsInput{ResourceArns: []string{lb, tg}}, []string{lb, tg}},
		{"RemoveTags", &RemoveTagsInput{ResourceArns: []string{ln, "", rule}}, []string{ln, rule}},
		{"DescribeLoadBalancers", &DescribeLoadBalancersInput{}, nil},
		{"DescribeTargetHealth", &DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}, nil},
		{"DescribeTags", &DescribeTagsInput{ResourceArns: []string{lb}}, nil},
		{"DescribeAccountLimits", &DescribeAccountLimitsInput{}, nil},
		// The reference gives the Describe* actions no resource type, even when the call
		// names one: they are authorized on "*".
		{"DescribeLoadBalancerAttributes", &DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb)}, nil},
		{"DescribeTargetGroups", &DescribeTargetGroupsInput{TargetGroupArns: []string{tg}}, nil},
		{"DescribeTargetGroupAttributes", &DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)}, nil},
		{"DescribeListeners", &DescribeListenersInput{ListenerArns: []string{ln}}, nil},
		{"DescribeRules", &DescribeRulesInput{RuleArns: []string{rule}}, nil},
	}
	ops := e.s.API().Operations
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			op, ok := ops[tc.op]
			if !ok {
				t.Fatalf("no operation %s", tc.op)
			}
			if op.Resources == nil {
				t.Fatalf("%s has no Resources", tc.op)
			}
			if got := op.Resources(context.Background(), tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("%s resources = %q, want %q", tc.op, got, tc.want)
			}
		})
	}
}
