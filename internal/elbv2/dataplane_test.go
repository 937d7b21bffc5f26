package elbv2

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TestSnapshot checks what the data plane is given: rules in evaluation order,
// conditions in one form, actions in order, defaults filled in.
func TestSnapshot(t *testing.T) {
	r := newRuleEnv(t)
	ipTG, err := r.client.CreateTargetGroup(r.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("ips"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), TargetType: types.TargetTypeEnumIp,
	})
	if err != nil {
		t.Fatal(err)
	}
	ips := aws.ToString(ipTG.TargetGroups[0].TargetGroupArn)
	// Created out of order; legacy Values and configurations mixed.
	r.rule(r.listenerARN, 30, "/late", fixed("404"))
	_, err = r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{
			{Field: aws.String("host-header"), Values: []string{"api.example.com"}},
			{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("User-Agent"), Values: []string{"*Mobile*"}}},
			{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Value: aws.String("debug")}}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumForward, Order: aws.Int32(7), ForwardConfig: &types.ForwardActionConfig{
			TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: aws.String(r.api), Weight: aws.Int32(3)}, {TargetGroupArn: aws.String(ips)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(60)},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.client.CreateRule(r.ctx, &elb.CreateRuleInput{ListenerArn: aws.String(r.listenerARN), Priority: aws.Int32(20),
		Conditions: []types.RuleCondition{
			{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"POST"}}},
			{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"192.168.0.0/16", "::1/128"}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Protocol: aws.String("HTTPS"), StatusCode: types.RedirectActionStatusCodeEnumHttp302}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.RegisterTargets(r.ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(ips), Targets: []types.TargetDescription{tdesc("10.1.2.3", 9000)}}); err != nil {
		t.Fatal(err)
	}

	snap := r.dp.snapshot()
	if len(snap.Listeners) != 1 {
		t.Fatalf("listeners = %+v", snap.Listeners)
	}
	l := snap.Listeners[0]
	if l.ARN != r.listenerARN || l.LoadBalancerARN != r.lbARN || l.Port != 80 || l.Protocol != "HTTP" {
		t.Errorf("listener = %+v", l)
	}
	var order []int
	for _, rule := range l.Rules {
		order = append(order, rule.Priority)
	}
	if !slices.Equal(order, []int{10, 20, 30, 0}) || !l.Rules[3].IsDefault || l.Rules[0].IsDefault || len(l.Rules[3].Conditions) != 0 {
		t.Fatalf("rule order = %v (%+v)", order, l.Rules)
	}
	wantConds := []ConditionConfig{
		{Field: "host-header", Values: []string{"api.example.com"}},
		{Field: "http-header", HeaderName: "User-Agent", Values: []string{"*Mobile*"}},
		{Field: "query-string", QueryStrings: []KeyValue{{Key: "", Value: "debug"}}},
	}
	if !reflect.DeepEqual(l.Rules[0].Conditions, wantConds) {
		t.Errorf("conditions =\n%+v\nwant\n%+v", l.Rules[0].Conditions, wantConds)
	}
	wantFwd := ActionConfig{Type: "forward", Order: 7, Forward: &ForwardConfig{
		TargetGroups:      []WeightedTargetGroup{{ARN: r.api, Weight: 3}, {ARN: ips, Weight: 1}},
		StickinessEnabled: true, StickinessDuration: time.Minute,
	}}
	if !reflect.DeepEqual(l.Rules[0].Actions, []ActionConfig{wantFwd}) {
		t.Errorf("forward = %+v", l.Rules[0].Actions[0].Forward)
	}
	wantRedirect := &RedirectConfig{Protocol: "HTTPS", Host: "#{host}", Port: "#{port}", Path: "/#{path}", Query: "#{query}", StatusCode: 302}
	if got := l.Rules[1].Actions[0]; got.Type != "redirect" || !reflect.DeepEqual(got.Redirect, wantRedirect) ||
		!reflect.DeepEqual(l.Rules[1].Conditions[1].Values, []string{"192.168.0.0/16", "::1/128"}) {
		t.Errorf("redirect rule = %+v %+v", got.Redirect, l.Rules[1].Conditions)
	}
	if got := l.Rules[2].Actions[0].FixedResponse; got == nil || got.StatusCode != 404 {
		t.Errorf("fixed response = %+v", got)
	}
	if got := l.Rules[3].Actions[0].Forward; got == nil || !reflect.DeepEqual(got.TargetGroups, []WeightedTargetGroup{{ARN: r.web, Weight: 1}}) {
		t.Errorf("default forward = %+v", got)
	}
	tg := snap.TargetGroups[ips]
	if tg.Name != "ips" || tg.TargetType != "ip" || tg.HealthCheckInterval != 30*time.Second || tg.HealthCheckTimeout != 5*time.Second ||
		tg.HealthyThreshold != 5 || tg.UnhealthyThreshold != 2 || tg.Matcher != "200" || tg.HealthCheckPort != "traffic-port" ||
		tg.HealthCheckPath != "/" || !tg.HealthCheckEnabled || tg.DeregistrationDelay != 300*time.Second || tg.Algorithm != "round_robin" ||
		tg.StickinessType != "lb_cookie" || tg.StickinessDuration != 24*time.Hour {
		t.Errorf("target group = %+v", tg)
	}
	if len(tg.Targets) != 1 || tg.Targets[0].Address != "10.1.2.3:9000" || tg.Targets[0].Port != 9000 || !tg.Targets[0].DeregisteredAt.IsZero() {
		t.Errorf("targets = %+v", tg.Targets)
	}
	if len(snap.TargetGroups) != 3 {
		t.Errorf("%d target groups in the snapshot, want all 3", len(snap.TargetGroups))
	}
	lbc := snap.LoadBalancers[r.lbARN]
	if lbc.Name != "web" || lbc.IdleTimeout != time.Minute || lbc.XFFHeaderProcessing != "append" || lbc.DesyncMitigationMode != "defensive" {
		t.Errorf("load balancer = %+v", lbc)
	}
}

// runEnv runs the service's Run loop for the test.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("Run: %v", err)
		}
	})
}

// tickUntil moves the fake clock a poll interval at a time until cond holds, failing
// the test after a generous deadline.
func (e *env) tickUntil(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		e.clock.Advance(pollInterval)
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDraining(t *testing.T) {
	r := newRuleEnv(t)
	r.run()
	_, err := r.client.RegisterTargets(r.ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(r.web), Targets: []types.TargetDescription{
		tdesc(node, 1001), tdesc(node, 1002), tdesc(node, 1003),
	}})
	if err != nil {
		t.Fatal(err)
	}
	deregisteredAt := r.clock.Now()
	_, err = r.client.DeregisterTargets(r.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(r.web), Targets: []types.TargetDescription{
		tdesc(node, 1001), tdesc(node, 1002),
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The data plane is told at once which targets drain, and since when.
	targets := r.dp.snapshot().TargetGroups[r.web].Targets
	if len(targets) != 3 || !targets[0].DeregisteredAt.Equal(deregisteredAt) || !targets[1].DeregisteredAt.Equal(deregisteredAt) || !targets[2].DeregisteredAt.IsZero() {
		t.Fatalf("targets = %+v", targets)
	}
	want := []string{node + ":1001=draining/Target.DeregistrationInProgress", node + ":1002=draining/Target.DeregistrationInProgress", node + ":1003=initial/Elb.RegistrationInProgress"}
	if got := r.health(r.web); !slices.Equal(got, want) {
		t.Errorf("health = %v, want %v", got, want)
	}

	// The data plane reports 1001 drained (no request in flight): Run forgets it.
	r.dp.observe(r.web,
		TargetObservation{ID: node, Port: 1001, State: StateDraining, Reason: ReasonDeregistrationInProgress, Drained: true},
		TargetObservation{ID: node, Port: 1002, State: StateDraining, Reason: ReasonDeregistrationInProgress, InFlight: 1},
		TargetObservation{ID: node, Port: 1003, State: StateHealthy},
	)
	r.tickUntil("1001 to be forgotten", func() bool { return len(r.health(r.web)) == 2 })
	want = []string{node + ":1002=draining/Target.DeregistrationInProgress", node + ":1003=healthy/"}
	if got := r.health(r.web); !slices.Equal(got, want) {
		t.Errorf("health = %v, want %v", got, want)
	}
	waitFor(t, "the data plane to lose 1001", func() bool { return len(r.dp.snapshot().TargetGroups[r.web].Targets) == 2 })
	got := r.health(r.web, tdesc(node, 1001))
	if !slices.Equal(got, []string{node + ":1001=unused/Target.NotRegistered"}) {
		t.Errorf("forgotten target = %v", got)
	}

	// 1002 keeps a request in flight until its deregistration delay (300 s) passes.
	r.clock.Advance(deregisteredAt.Add(299 * time.Second).Sub(r.clock.Now()))
	r.s.forgetDrained(r.ctx)
	if n := len(r.health(r.web)); n != 2 {
		t.Fatalf("1002 was forgotten before its deregistration delay passed (%d targets)", n)
	}
	r.clock.Advance(time.Second)
	r.s.forgetDrained(r.ctx)
	if got := r.health(r.web); !slices.Equal(got, []string{node + ":1003=healthy/"}) {
		t.Errorf("after the deregistration delay: %v", got)
	}
}

// TestRunAfterRestart: a new control plane over the same store applies the stored
// configuration at once, and forgets targets whose delay passed while it was down.
func TestRunAfterRestart(t *testing.T) {
	r := newRuleEnv(t)
	if _, err := r.client.RegisterTargets(r.ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(r.web), Targets: []types.TargetDescription{tdesc(node, 1001), tdesc(node, 1002)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.DeregisterTargets(r.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(r.web), Targets: []types.TargetDescription{tdesc(node, 1001)}}); err != nil {
		t.Fatal(err)
	}
	before := r.dp.snapshot()

	r.dp = &fakeDataPlane{} // a fresh data plane, as after a restart
	r.clock.Advance(10 * time.Minute)
	r.s = r.newService()
	r.run()
	waitFor(t, "the first apply", func() bool { return len(r.dp.snapshot().Listeners) == 1 })
	waitFor(t, "the drained target to go", func() bool { return len(r.dp.snapshot().TargetGroups[r.web].Targets) == 1 })
	after := r.dp.snapshot()
	if !reflect.DeepEqual(after.Listeners, before.Listeners) || after.TargetGroups[r.web].Targets[0].Port != 1002 {
		t.Errorf("after restart:\n%+v\nbefore:\n%+v", after, before)
	}

	// A listener that cannot bind after a restart is retried until it can.
	r.dp.failPort(80, context.DeadlineExceeded)
	r.dp.mu.Lock()
	r.dp.last = nil
	r.dp.mu.Unlock()
	r.s.applyMu.Lock()
	r.s.applied = nil
	r.s.applyMu.Unlock()
	r.tickUntil("an apply with the failing port", func() bool { return len(r.dp.snapshot().Listeners) == 1 })
	applies := func() int {
		r.dp.mu.Lock()
		defer r.dp.mu.Unlock()
		return r.dp.applies
	}
	n := applies()
	r.tickUntil("a retry", func() bool { return applies() > n+1 })
	r.dp.mu.Lock()
	r.dp.failPorts = nil
	r.dp.mu.Unlock()
	n = applies()
	r.tickUntil("a retry that binds", func() bool { return applies() > n })
	// Once it binds, an unchanged configuration is not applied again.
	r.s.sync()
	settled := applies()
	r.s.sync()
	r.s.forgetDrained(r.ctx)
	r.s.sync()
	if got := applies(); got != settled {
		t.Errorf("an unchanged configuration was applied %d more times", got-settled)
	}
}
