package elbv2

import (
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/internal/ecs"
)

// The Service is what ECS needs of Elastic Load Balancing.
var (
	_ ecs.LoadBalancers = (*Service)(nil)
	_ ecs.ListenerRules = (*Service)(nil)
)

// TestRuleWeightsForECS shifts weights as ECS's blue/green deployments do, through a
// rule and a listener's default action, and checks that DescribeRules and the data
// plane show every step.
func TestRuleWeightsForECS(t *testing.T) {
	r := newRuleEnv(t)
	rule := r.rule(r.listenerARN, 10, "/app/*", forward(r.web))
	ruleARN := aws.ToString(rule.RuleArn)

	describe := func(arn string) types.Rule {
		t.Helper()
		in := &elb.DescribeRulesInput{RuleArns: []string{arn}}
		if arn == r.listenerARN {
			in = &elb.DescribeRulesInput{ListenerArn: aws.String(arn)}
		}
		out, err := r.client.DescribeRules(r.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Rules[len(out.Rules)-1]
	}
	weightsShown := func(rule types.Rule) map[string]int32 {
		out := map[string]int32{}
		for _, tg := range rule.Actions[0].ForwardConfig.TargetGroups {
			out[aws.ToString(tg.TargetGroupArn)] = aws.ToInt32(tg.Weight)
		}
		return out
	}
	served := func(ruleArn string) map[string]int32 {
		out := map[string]int32{}
		for _, l := range r.dp.snapshot().Listeners {
			for _, rc := range l.Rules {
				if rc.ARN == ruleArn {
					for _, tg := range rc.Actions[0].Forward.TargetGroups {
						out[tg.ARN] = int32(tg.Weight)
					}
				}
			}
		}
		return out
	}

	for _, tt := range []struct {
		name string
		arn  string // what ECS names: the rule, or the listener for its default action
		rule func() string
	}{
		{"rule", ruleARN, func() string { return ruleARN }},
		{"listener default action", r.listenerARN, func() string { return aws.ToString(describe(r.listenerARN).RuleArn) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := r.s.RuleForward(r.ctx, tt.arn)
			if err != nil || !found || !maps.Equal(got, map[string]int32{r.web: 1}) {
				t.Fatalf("RuleForward = %v %v %v", got, found, err)
			}
			for _, w := range []map[string]int32{
				{r.web: 100, r.api: 0},
				{r.web: 90, r.api: 10},
				{r.web: 0, r.api: 100},
			} {
				if err := r.s.SetRuleForward(r.ctx, tt.arn, w); err != nil {
					t.Fatal(err)
				}
				if got := weightsShown(describe(tt.rule())); !maps.Equal(got, w) {
					t.Fatalf("DescribeRules shows %v, want %v", got, w)
				}
				if got := served(tt.rule()); !maps.Equal(got, w) {
					t.Fatalf("the data plane serves %v, want %v", got, w)
				}
				if got, _, _ := r.s.RuleForward(r.ctx, tt.arn); !maps.Equal(got, w) {
					t.Fatalf("RuleForward = %v, want %v", got, w)
				}
			}
			// Setting the same weights again changes nothing.
			before := describe(tt.rule())
			if err := r.s.SetRuleForward(r.ctx, tt.arn, map[string]int32{r.web: 0, r.api: 100}); err != nil {
				t.Fatal(err)
			}
			if after := describe(tt.rule()); !maps.Equal(weightsShown(after), weightsShown(before)) {
				t.Fatalf("a repeated call changed the rule: %+v", after)
			}
			// Attached with weight 0: the target group counts as in use.
			_, attached, err := r.s.TargetGroup(r.ctx, r.web)
			if err != nil || !attached {
				t.Fatalf("target group with weight 0 attached = %v, %v", attached, err)
			}
		})
	}

	// Stickiness of the forward action is kept.
	_, err := r.client.ModifyRule(r.ctx, &elb.ModifyRuleInput{RuleArn: aws.String(ruleARN), Actions: []types.Action{{Type: types.ActionTypeEnumForward,
		ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(r.web)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(60)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.s.SetRuleForward(r.ctx, ruleARN, map[string]int32{r.web: 50, r.api: 50}); err != nil {
		t.Fatal(err)
	}
	if st := describe(ruleARN).Actions[0].ForwardConfig.TargetGroupStickinessConfig; !aws.ToBool(st.Enabled) || aws.ToInt32(st.DurationSeconds) != 60 {
		t.Fatalf("stickiness = %+v", st)
	}

	// Unknown rules, and weights the API refuses.
	missing := ruleARN[:len(ruleARN)-1] + "0"
	if _, found, err := r.s.RuleForward(r.ctx, missing); found || err != nil {
		t.Fatalf("RuleForward of a missing rule: %v %v", found, err)
	}
	if _, found, err := r.s.RuleForward(r.ctx, "garbage"); found || err != nil {
		t.Fatalf("RuleForward of garbage: %v %v", found, err)
	}
	wantCode(t, r.s.SetRuleForward(r.ctx, missing, map[string]int32{r.web: 1}), "RuleNotFound", "not found")
	wantCode(t, r.s.SetRuleForward(r.ctx, ruleARN, map[string]int32{r.web: 1000}), "ValidationError", "less than or equal to 999")
}
