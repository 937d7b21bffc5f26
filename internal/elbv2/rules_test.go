package elbv2

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// ruleEnv is a load balancer with a listener on port 80 and two target groups.
type ruleEnv struct {
	*env
	lbARN, listenerARN string
	api, web           string // target group ARNs
}

func newRuleEnv(t *testing.T) *ruleEnv {
	e := newEnv(t)
	r := &ruleEnv{env: e}
	r.lbARN = aws.ToString(e.lb("web").LoadBalancerArn)
	r.api, r.web = aws.ToString(e.tg("api").TargetGroupArn), aws.ToString(e.tg("web").TargetGroupArn)
	r.listenerARN = aws.ToString(e.listener(r.lbARN, 80, r.web).ListenerArn)
	return r
}

func (r *ruleEnv) priorities() []string {
	r.t.Helper()
	out, err := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN)})
	if err != nil {
		r.t.Fatal(err)
	}
	var got []string
	for _, rule := range out.Rules {
		got = append(got, aws.ToString(rule.Priority))
	}
	return got
}

func TestCreateAndDescribeRules(t *testing.T) {
	r := newRuleEnv(t)
	out, err := r.client.CreateRule(r.ctx, &elb.CreateRuleInput{
		ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(20),
		Conditions: []types.RuleCondition{
			{Field: aws.String("path-pattern"), Values: []string{"/api/*"}},
			{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.example.com"}}},
			{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Env"), Values: []string{"prod"}}},
			{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("v"), Value: aws.String("2")}}}},
			{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"10.0.0.0/8"}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups: []types.TargetGroupTuple{
				{TargetGroupArn: aws.String(r.api), Weight: aws.Int32(80)},
				{TargetGroupArn: aws.String(r.web), Weight: aws.Int32(20)},
			},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(300)},
		}}},
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rule := out.Rules[0]
	if !strings.HasPrefix(aws.ToString(rule.RuleArn), strings.Replace(r.listenerARN, ":listener/", ":listener-rule/", 1)+"/") ||
		aws.ToString(rule.Priority) != "20" || aws.ToBool(rule.IsDefault) || len(rule.Conditions) != 5 {
		t.Fatalf("rule = %+v", rule)
	}
	// path-pattern given as Values shows in both forms; the others in their configuration.
	c := rule.Conditions
	if !slices.Equal(c[0].Values, []string{"/api/*"}) || c[0].PathPatternConfig == nil || !slices.Equal(c[0].PathPatternConfig.Values, []string{"/api/*"}) ||
		!slices.Equal(c[1].Values, []string{"*.example.com"}) || aws.ToString(c[2].HttpHeaderConfig.HttpHeaderName) != "X-Env" ||
		aws.ToString(c[3].QueryStringConfig.Values[0].Key) != "v" || c[4].SourceIpConfig.Values[0] != "10.0.0.0/8" {
		t.Errorf("conditions = %+v", c)
	}
	fc := rule.Actions[0].ForwardConfig
	if rule.Actions[0].TargetGroupArn != nil || len(fc.TargetGroups) != 2 || aws.ToInt32(fc.TargetGroups[1].Weight) != 20 ||
		!aws.ToBool(fc.TargetGroupStickinessConfig.Enabled) || aws.ToInt32(fc.TargetGroupStickinessConfig.DurationSeconds) != 300 {
		t.Errorf("forward = %+v", fc)
	}
	r.rule(r.listenerARN, 5, "/a", fixed("404"))
	redirect := types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: types.RedirectActionStatusCodeEnumHttp301}}
	red := r.rule(r.listenerARN, 50000, "/old", redirect)
	rc := red.Actions[0].RedirectConfig
	if aws.ToString(rc.Host) != "#{host}" || aws.ToString(rc.Path) != "/#{path}" || aws.ToString(rc.Query) != "#{query}" || aws.ToString(rc.Port) != "443" {
		t.Errorf("redirect defaults = %+v", rc)
	}
	if got, want := r.priorities(), []string{"5", "20", "50000", "default"}; !slices.Equal(got, want) {
		t.Errorf("priorities = %v, want %v", got, want)
	}
	desc, err := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN)})
	if err != nil {
		t.Fatal(err)
	}
	def := desc.Rules[3]
	if !aws.ToBool(def.IsDefault) || len(def.Conditions) != 0 || aws.ToString(def.Actions[0].TargetGroupArn) != r.web {
		t.Errorf("default rule = %+v", def)
	}
	byARN, err := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{RuleArns: []string{aws.ToString(def.RuleArn), aws.ToString(rule.RuleArn)}})
	if err != nil || len(byARN.Rules) != 2 || aws.ToString(byARN.Rules[0].Priority) != "20" || aws.ToString(byARN.Rules[1].Priority) != "default" {
		t.Fatalf("by ARN = %+v %v", byARN, err)
	}
	page1, err := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN), PageSize: aws.Int32(3)})
	if err != nil || len(page1.Rules) != 3 || page1.NextMarker == nil {
		t.Fatalf("page 1 = %+v %v", page1, err)
	}
	page2, err := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN), PageSize: aws.Int32(3), Marker: page1.NextMarker})
	if err != nil || len(page2.Rules) != 1 || !aws.ToBool(page2.Rules[0].IsDefault) {
		t.Fatalf("page 2 = %+v %v", page2, err)
	}
	_, err = r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{RuleArns: []string{aws.ToString(rule.RuleArn) + "0"}})
	wantType[*types.RuleNotFoundException](t, err)
	_, err = r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{})
	wantCode(t, err, "ValidationError", "listener ARN or rule ARNs")

	// The same priority again on this listener.
	_, err = r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(20),
		Conditions: []types.RuleCondition{pathCond("/x")}, Actions: []types.Action{fixed("200")}})
	wantType[*types.PriorityInUseException](t, err)
	wantCode(t, err, "PriorityInUse", "Priority '20' is currently in use")
}

func TestConditionValidation(t *testing.T) {
	r := newRuleEnv(t)
	field := func(f string) *string { return aws.String(f) }
	tests := []struct {
		name  string
		conds []types.RuleCondition
		msg   string
	}{
		{"no conditions", nil, "at least one condition"},
		{"unknown field", []types.RuleCondition{{Field: field("cookie"), Values: []string{"a"}}}, "Condition field 'cookie' must be one of"},
		{"six values", []types.RuleCondition{pathCond("/1", "/2", "/3"), {Field: field("http-request-method"),
			HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET", "PUT", "POST"}}}}, "A rule can only have '5' condition values"},
		{"six wildcards", []types.RuleCondition{pathCond("/*/*/*"), {Field: field("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.*.*.com"}}}}, "'5' condition wildcards"},
		{"two path conditions", []types.RuleCondition{pathCond("/a"), pathCond("/b")}, "only one 'path-pattern' condition"},
		{"path character", []types.RuleCondition{pathCond("/a b")}, "'path-pattern' condition value '/a b' is not valid"},
		{"path too long", []types.RuleCondition{pathCond("/" + strings.Repeat("a", 128))}, "longer than 128 characters"},
		{"empty value", []types.RuleCondition{pathCond("")}, "cannot be empty"},
		{"two legacy values", []types.RuleCondition{{Field: field("path-pattern"), Values: []string{"/a", "/b"}}}, "single value"},
		{"both forms differ", []types.RuleCondition{{Field: field("path-pattern"), Values: []string{"/a"}, PathPatternConfig: &types.PathPatternConditionConfig{Values: []string{"/b"}}}}, "not both"},
		{"host without dot", []types.RuleCondition{{Field: field("host-header"), Values: []string{"localhost"}}}, "at least one '.'"},
		{"host digits last", []types.RuleCondition{{Field: field("host-header"), Values: []string{"example.c0m"}}}, "only letters"},
		{"host character", []types.RuleCondition{{Field: field("host-header"), Values: []string{"a_b.com"}}}, "not valid"},
		{"header without config", []types.RuleCondition{{Field: field("http-header")}}, "must have an HttpHeaderConfig"},
		{"header Host", []types.RuleCondition{{Field: field("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("host"), Values: []string{"a"}}}}, "host-header"},
		{"header name", []types.RuleCondition{{Field: field("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X Env"), Values: []string{"a"}}}}, "RFC 7230"},
		{"header values in Values", []types.RuleCondition{{Field: field("http-header"), Values: []string{"a"}}}, "Values can be specified only"},
		{"method lowercase", []types.RuleCondition{{Field: field("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"get"}}}}, "A-Z"},
		{"query empty value", []types.RuleCondition{{Field: field("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("k")}}}}}, "cannot be empty"},
		{"source ip", []types.RuleCondition{{Field: field("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"10.0.0.1"}}}}, "CIDR"},
		{"config of another field", []types.RuleCondition{{Field: field("path-pattern"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"a.com"}}}}, "HostHeaderConfig can be specified only"},
		{"regex", []types.RuleCondition{{Field: field("path-pattern"), RegexValues: []string{"^/a$"}}}, "RegexValues are not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.s.CreateRule(r.ctx, &CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: ptr(int32(1)),
				Conditions: toConditions(tc.conds), Actions: []Action{{Type: ptr("fixed-response"), FixedResponseConfig: &FixedResponseActionConfig{StatusCode: ptr("200")}}}})
			wantCode(t, err, "ValidationError", tc.msg)
		})
	}
	// Five values and five wildcards are fine; escaped wildcards do not count.
	_, err := r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(1),
		Conditions: []types.RuleCondition{pathCond("/*/*", "/b*"), {Field: field("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{
			Values: []types.QueryStringKeyValuePair{{Value: aws.String(`\*x*`)}, {Key: aws.String("a?"), Value: aws.String("1")}}}},
			{Field: field("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}}},
		Actions: []types.Action{fixed("200")}})
	if err != nil {
		t.Errorf("five values and five wildcards: %v", err)
	}
}

// toConditions converts SDK conditions to the service's (the SDK would refuse some of
// the bad inputs before sending them).
func toConditions(in []types.RuleCondition) []RuleCondition {
	var out []RuleCondition
	for _, c := range in {
		rc := RuleCondition{Field: c.Field, Values: c.Values, RegexValues: c.RegexValues}
		if c.PathPatternConfig != nil {
			rc.PathPatternConfig = &PathPatternConditionConfig{Values: c.PathPatternConfig.Values}
		}
		if c.HostHeaderConfig != nil {
			rc.HostHeaderConfig = &HostHeaderConditionConfig{Values: c.HostHeaderConfig.Values}
		}
		if h := c.HttpHeaderConfig; h != nil {
			rc.HttpHeaderConfig = &HttpHeaderConditionConfig{HttpHeaderName: h.HttpHeaderName, Values: h.Values}
		}
		if m := c.HttpRequestMethodConfig; m != nil {
			rc.HttpRequestMethodConfig = &HttpRequestMethodConditionConfig{Values: m.Values}
		}
		if q := c.QueryStringConfig; q != nil {
			rc.QueryStringConfig = &QueryStringConditionConfig{}
			for _, kv := range q.Values {
				rc.QueryStringConfig.Values = append(rc.QueryStringConfig.Values, QueryStringKeyValuePair{Key: kv.Key, Value: kv.Value})
			}
		}
		if s := c.SourceIpConfig; s != nil {
			rc.SourceIpConfig = &SourceIpConditionConfig{Values: s.Values}
		}
		out = append(out, rc)
	}
	return out
}

func TestActionValidation(t *testing.T) {
	r := newRuleEnv(t)
	weighted := func(n int) types.Action {
		fc := &types.ForwardActionConfig{}
		for range n {
			fc.TargetGroups = append(fc.TargetGroups, types.TargetGroupTuple{TargetGroupArn: aws.String(r.api)})
		}
		return types.Action{Type: types.ActionTypeEnumForward, ForwardConfig: fc}
	}
	var six []types.TargetGroupTuple
	for i := range 6 {
		six = append(six, types.TargetGroupTuple{TargetGroupArn: aws.String(aws.ToString(r.tg("g" + string(rune('a'+i))).TargetGroupArn))})
	}
	tests := []struct {
		name   string
		action types.Action
		code   string
		msg    string
	}{
		{"six target groups", types.Action{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: six}}, "TooManyTargetGroups", "at most '5' target groups"},
		{"same group twice", weighted(2), "ValidationError", "more than once"},
		{"unknown group", forward(r.api + "0"), "TargetGroupNotFound", "not found"},
		{"bad arn", forward("api"), "ValidationError", "not a valid target group ARN"},
		{"weight", types.Action{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(r.api), Weight: aws.Int32(1000)}}}}, "ValidationError", "less than or equal to 999"},
		{"arn and other config", types.Action{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(r.web), ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(r.api)}}}}, "ValidationError", "same, single target group"},
		{"stickiness without duration", types.Action{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(r.api)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true)}}}, "ValidationError", "duration"},
		{"fixed 302", fixed("302"), "ValidationError", "2XX, 4XX or 5XX"},
		{"fixed content type", types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200"), ContentType: aws.String("image/png")}}, "ValidationError", "text/plain"},
		{"fixed body", types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200"), MessageBody: aws.String(strings.Repeat("x", 1025))}}, "ValidationError", "1024"},
		{"redirect loop", types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{StatusCode: types.RedirectActionStatusCodeEnumHttp302}}, "InvalidLoadBalancerAction", "loop"},
		{"redirect protocol", types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Protocol: aws.String("FTP"), StatusCode: types.RedirectActionStatusCodeEnumHttp302}}, "ValidationError", "HTTP, HTTPS or #{protocol}"},
		{"redirect path", types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Path: aws.String("new"), StatusCode: types.RedirectActionStatusCodeEnumHttp302}}, "ValidationError", "begin with '/'"},
		{"redirect port", types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Port: aws.String("0"), StatusCode: types.RedirectActionStatusCodeEnumHttp302}}, "ValidationError", "#{port}"},
		{"oidc", types.Action{Type: types.ActionTypeEnumAuthenticateOidc}, "InvalidLoadBalancerAction", "authenticate-oidc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(1),
				Conditions: []types.RuleCondition{pathCond("/x")}, Actions: []types.Action{tc.action}})
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	_, err := r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(1),
		Conditions: []types.RuleCondition{pathCond("/x")}, Actions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: six}}}})
	wantType[*types.TooManyTargetGroupsException](t, err)
	_, err = r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(1),
		Conditions: []types.RuleCondition{pathCond("/x")}, Actions: []types.Action{fixed("200"), fixed("404")}})
	wantType[*types.InvalidLoadBalancerActionException](t, err)

	// A target group serves one load balancer only.
	lb2 := aws.ToString(r.lb("other").LoadBalancerArn)
	_, err = r.client.CreateListener(r.ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lb2), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81),
		DefaultActions: []types.Action{forward(r.web)}})
	wantType[*types.TargetGroupAssociationLimitException](t, err)
	if n := len(r.priorities()); n != 1 {
		t.Errorf("%d rules after failures, want only the default one", n)
	}
}

func TestTooManyRules(t *testing.T) {
	r := newRuleEnv(t)
	// Rules count over every listener of the load balancer.
	second := aws.ToString(r.listener(r.lbARN, 81, r.api).ListenerArn)
	for i := range 100 {
		l := r.listenerARN
		if i%2 == 1 {
			l = second
		}
		r.rule(l, int32(i+1), "/p", fixed("200"))
	}
	_, err := r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(1000),
		Conditions: []types.RuleCondition{pathCond("/x")}, Actions: []types.Action{fixed("200")}})
	wantType[*types.TooManyRulesException](t, err)
	wantCode(t, err, "TooManyRules", "'100'")
}

func TestModifyDeleteRules(t *testing.T) {
	r := newRuleEnv(t)
	a := r.rule(r.listenerARN, 1, "/a", forward(r.api))
	b := r.rule(r.listenerARN, 2, "/b", forward(r.api))
	c := r.rule(r.listenerARN, 3, "/c", fixed("200"))

	mod, err := r.client.ModifyRule(r.ctx, &elb.ModifyRuleInput{RuleArn: a.RuleArn, Conditions: []types.RuleCondition{pathCond("/a2", "/a3")}})
	if err != nil {
		t.Fatal(err)
	}
	if m := mod.Rules[0]; !slices.Equal(m.Conditions[0].PathPatternConfig.Values, []string{"/a2", "/a3"}) || aws.ToString(m.Actions[0].TargetGroupArn) != r.api {
		t.Errorf("modified conditions = %+v", m)
	}
	mod, err = r.client.ModifyRule(r.ctx, &elb.ModifyRuleInput{RuleArn: a.RuleArn, Actions: []types.Action{fixed("418")}})
	if err != nil || aws.ToString(mod.Rules[0].Actions[0].FixedResponseConfig.StatusCode) != "418" || len(mod.Rules[0].Conditions) != 1 {
		t.Fatalf("modified actions = %+v %v", mod, err)
	}
	desc, _ := r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN)})
	def := desc.Rules[len(desc.Rules)-1]
	mod, err = r.client.ModifyRule(r.ctx, &elb.ModifyRuleInput{RuleArn: def.RuleArn, Actions: []types.Action{fixed("503")}})
	if err != nil || !aws.ToBool(mod.Rules[0].IsDefault) {
		t.Fatalf("modify default rule = %+v %v", mod, err)
	}
	ls, _ := r.client.DescribeListeners(r.ctx, &elb.DescribeListenersInput{ListenerArns: []string{r.listenerARN}})
	if aws.ToString(ls.Listeners[0].DefaultActions[0].FixedResponseConfig.StatusCode) != "503" {
		t.Errorf("listener default actions = %+v", ls.Listeners[0].DefaultActions)
	}
	_, err = r.client.ModifyRule(r.ctx, &elb.ModifyRuleInput{RuleArn: def.RuleArn, Conditions: []types.RuleCondition{pathCond("/x")}})
	wantType[*types.OperationNotPermittedException](t, err)

	// Swap two priorities at once; then a priority another rule keeps.
	set, err := r.client.SetRulePriorities(r.ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: a.RuleArn, Priority: aws.Int32(2)}, {RuleArn: b.RuleArn, Priority: aws.Int32(1)},
	}})
	if err != nil || len(set.Rules) != 2 || aws.ToString(set.Rules[0].Priority) != "2" {
		t.Fatalf("SetRulePriorities = %+v %v", set, err)
	}
	desc, _ = r.client.DescribeRules(r.ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(r.listenerARN)})
	if aws.ToString(desc.Rules[0].RuleArn) != aws.ToString(b.RuleArn) || aws.ToString(desc.Rules[1].RuleArn) != aws.ToString(a.RuleArn) {
		t.Errorf("order after swap = %v", r.priorities())
	}
	_, err = r.client.SetRulePriorities(r.ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: a.RuleArn, Priority: aws.Int32(10)}, {RuleArn: b.RuleArn, Priority: aws.Int32(3)},
	}})
	wantType[*types.PriorityInUseException](t, err)
	if got := r.priorities(); !slices.Equal(got, []string{"1", "2", "3", "default"}) {
		t.Errorf("a failed SetRulePriorities changed priorities: %v", got)
	}
	_, err = r.client.SetRulePriorities(r.ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: a.RuleArn, Priority: aws.Int32(7)}, {RuleArn: c.RuleArn, Priority: aws.Int32(7)},
	}})
	wantCode(t, err, "ValidationError", "Priority '7' was provided multiple times")
	_, err = r.client.SetRulePriorities(r.ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: def.RuleArn, Priority: aws.Int32(9)}}})
	wantType[*types.OperationNotPermittedException](t, err)

	if _, err := r.client.DeleteRule(r.ctx, &elb.DeleteRuleInput{RuleArn: c.RuleArn}); err != nil {
		t.Fatal(err)
	}
	_, err = r.client.DeleteRule(r.ctx, &elb.DeleteRuleInput{RuleArn: c.RuleArn})
	wantType[*types.RuleNotFoundException](t, err)
	_, err = r.client.DeleteRule(r.ctx, &elb.DeleteRuleInput{RuleArn: def.RuleArn})
	wantType[*types.OperationNotPermittedException](t, err)
	wantCode(t, err, "OperationNotPermitted", "Default rule")
	if got := r.priorities(); !slices.Equal(got, []string{"1", "2", "default"}) {
		t.Errorf("priorities after delete = %v", got)
	}
}
