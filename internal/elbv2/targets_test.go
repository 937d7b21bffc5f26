package elbv2

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func tdesc(id string, port int32) types.TargetDescription {
	td := types.TargetDescription{Id: aws.String(id)}
	if port != 0 {
		td.Port = aws.Int32(port)
	}
	return td
}

const node = "i-0123456789abcdef0"

func TestRegisterTargets(t *testing.T) {
	e := newEnv(t)
	tg := e.tg("api")
	arn := aws.ToString(tg.TargetGroupArn)
	_, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{
		tdesc(node, 0), tdesc(node, 32768), tdesc(node, 32768),
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Registered twice: once. Not used by a listener: unused, Target.NotInUse.
	want := []string{node + ":80=unused/Target.NotInUse", node + ":32768=unused/Target.NotInUse"}
	if got := e.health(arn); !slices.Equal(got, want) {
		t.Errorf("health = %v, want %v", got, want)
	}
	cfg := e.dp.snapshot().TargetGroups[arn]
	if len(cfg.Targets) != 2 || cfg.Targets[1].Address != "127.0.0.1:32768" || !cfg.Targets[1].RegisteredAt.Equal(e.clock.Now()) {
		t.Errorf("data plane targets = %+v", cfg.Targets)
	}

	ips, err := e.client.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("ips"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), TargetType: types.TargetTypeEnumIp,
	})
	if err != nil {
		t.Fatal(err)
	}
	ipARN := ips.TargetGroups[0].TargetGroupArn
	if _, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: ipARN, Targets: []types.TargetDescription{tdesc("10.0.0.7", 0)}}); err != nil {
		t.Fatal(err)
	}
	if cfg := e.dp.snapshot().TargetGroups[aws.ToString(ipARN)]; len(cfg.Targets) != 1 || cfg.Targets[0].Address != "10.0.0.7:8080" {
		t.Errorf("ip targets = %+v", cfg.Targets)
	}

	tests := []struct {
		name    string
		tg      *string
		targets []types.TargetDescription
		code    string
		msg     string
	}{
		{"bad instance", tg.TargetGroupArn, []types.TargetDescription{tdesc("web-1", 0)}, "ValidationError", "Instance ID 'web-1' is not valid"},
		{"ip in instance group", tg.TargetGroupArn, []types.TargetDescription{tdesc("10.0.0.1", 0)}, "ValidationError", "Instance ID"},
		{"bad ip", ipARN, []types.TargetDescription{tdesc("10.0.0.300", 0)}, "ValidationError", "not a valid IP address"},
		{"ipv6 in ipv4 group", ipARN, []types.TargetDescription{tdesc("::1", 0)}, "ValidationError", "IPv4"},
		{"port", tg.TargetGroupArn, []types.TargetDescription{tdesc(node, 65536)}, "ValidationError", "less than or equal to 65535"},
		{"instance zone", tg.TargetGroupArn, []types.TargetDescription{{Id: aws.String(node), AvailabilityZone: aws.String("us-east-1a")}}, "ValidationError", "Availability Zone"},
		{"unknown group", aws.String(arn + "0"), []types.TargetDescription{tdesc(node, 0)}, "TargetGroupNotFound", "not found"},
		{"bad arn", aws.String("api"), []types.TargetDescription{tdesc(node, 0)}, "ValidationError", "not a valid target group ARN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tc.tg, Targets: tc.targets})
			wantCode(t, err, tc.code, tc.msg)
		})
	}

	// 1,000 targets per target group.
	var many []types.TargetDescription
	for p := range 999 {
		many = append(many, tdesc(node, int32(10000+p)))
	}
	_, err = e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: many})
	wantType[*types.TooManyTargetsException](t, err)
	if _, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: many[:998]}); err != nil {
		t.Errorf("registering up to the quota: %v", err)
	}
}

func TestTargetsPerLoadBalancer(t *testing.T) {
	e := newEnv(t)
	a, b := e.tg("a"), e.tg("b")
	lb := e.lb("web")
	l := e.listener(aws.ToString(lb.LoadBalancerArn), 80, aws.ToString(a.TargetGroupArn))
	e.rule(aws.ToString(l.ListenerArn), 1, "/b", forward(aws.ToString(b.TargetGroupArn)))
	var half []types.TargetDescription
	for p := range 500 {
		half = append(half, tdesc(node, int32(10000+p)))
	}
	if _, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: a.TargetGroupArn, Targets: half}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: b.TargetGroupArn, Targets: half}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: b.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 1)}})
	wantType[*types.TooManyTargetsException](t, err)
	wantCode(t, err, "TooManyTargets", "per load balancer")
}

func TestDescribeTargetHealth(t *testing.T) {
	e := newEnv(t)
	tg := e.tg("api")
	arn := aws.ToString(tg.TargetGroupArn)
	lb := e.lb("web")
	e.listener(aws.ToString(lb.LoadBalancerArn), 80, arn)
	_, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{
		tdesc(node, 1001), tdesc(node, 1002), tdesc(node, 1003), tdesc(node, 1004), tdesc(node, 1005),
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing observed yet: every target is initial, registration in progress.
	for _, h := range e.health(arn) {
		if h[len(h)-len("initial/Elb.RegistrationInProgress"):] != "initial/Elb.RegistrationInProgress" {
			t.Errorf("before observation: %s", h)
		}
	}
	e.dp.observe(arn,
		TargetObservation{ID: node, Port: 1001, State: StateHealthy},
		TargetObservation{ID: node, Port: 1002, State: StateUnhealthy, Reason: ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [500]"},
		TargetObservation{ID: node, Port: 1003, State: StateInitial, Reason: ReasonInitialHealthChecking},
		TargetObservation{ID: node, Port: 1004, State: StateUnavail, Reason: ReasonHealthCheckDisabled},
	)
	if _, err := e.client.DeregisterTargets(e.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 1004)}}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		node + ":1001=healthy/",
		node + ":1002=unhealthy/Target.ResponseCodeMismatch",
		node + ":1003=initial/Elb.InitialHealthChecking",
		node + ":1004=draining/Target.DeregistrationInProgress",
		node + ":1005=initial/Elb.RegistrationInProgress",
	}
	if got := e.health(arn); !slices.Equal(got, want) {
		t.Errorf("health =\n%v\nwant\n%v", got, want)
	}
	out, err := e.client.DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{
		tdesc(node, 1002), tdesc("i-00000000000000001", 0),
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TargetHealthDescriptions
	if len(d) != 2 || aws.ToString(d[0].TargetHealth.Description) != "Health checks failed with these codes: [500]" || aws.ToString(d[0].HealthCheckPort) != "1002" {
		t.Errorf("asked targets = %+v", d)
	}
	if d[1].TargetHealth.State != types.TargetHealthStateEnumUnused || d[1].TargetHealth.Reason != types.TargetHealthReasonEnumNotRegistered ||
		aws.ToInt32(d[1].Target.Port) != 80 || aws.ToString(d[1].TargetHealth.Description) != "Target is not registered to the target group" {
		t.Errorf("unknown target = %+v", d[1].TargetHealth)
	}
	if d[0].TargetHealth.State != types.TargetHealthStateEnumUnhealthy {
		t.Errorf("state = %s", d[0].TargetHealth.State)
	}
	// A health check port of its own is reported as such.
	if _, err := e.client.ModifyTargetGroup(e.ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn, HealthCheckPort: aws.String("9000")}); err != nil {
		t.Fatal(err)
	}
	out, _ = e.client.DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 1001)}})
	if len(out.TargetHealthDescriptions) != 1 || aws.ToString(out.TargetHealthDescriptions[0].HealthCheckPort) != "9000" {
		t.Errorf("health check port = %+v", out.TargetHealthDescriptions)
	}
	// Deregistering what is not registered succeeds, as on AWS.
	if _, err := e.client.DeregisterTargets(e.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 9)}}); err != nil {
		t.Errorf("deregistering an unknown target: %v", err)
	}
	_, err = e.client.DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn + "f")})
	wantType[*types.TargetGroupNotFoundException](t, err)
}

func TestDeregisterUnusedIsImmediate(t *testing.T) {
	e := newEnv(t)
	tg := e.tg("api")
	arn := aws.ToString(tg.TargetGroupArn)
	if _, err := e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeregisterTargets(e.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 0)}}); err != nil {
		t.Fatal(err)
	}
	if got := e.health(arn); len(got) != 0 {
		t.Errorf("a target of an unused group is still there: %v", got)
	}
	// Registering again, and a group in use with no deregistration delay: also immediate.
	lb := e.lb("web")
	e.listener(aws.ToString(lb.LoadBalancerArn), 80, arn)
	_, err := e.client.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn,
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range []string{"register", "deregister"} {
		var err error
		if op == "register" {
			_, err = e.client.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 0)}})
		} else {
			_, err = e.client.DeregisterTargets(e.ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{tdesc(node, 0)}})
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(e.health(arn)), 1-i; got != want {
			t.Errorf("after %s: %d targets, want %d", op, got, want)
		}
	}
	if n := len(e.dp.snapshot().TargetGroups[arn].Targets); n != 0 {
		t.Errorf("data plane still has %d targets", n)
	}
}

// TestForECS drives the in-process methods ECS uses.
func TestForECS(t *testing.T) {
	r := newRuleEnv(t)
	unused := aws.ToString(r.tg("spare").TargetGroupArn)
	for _, tc := range []struct {
		arn              string
		exists, attached bool
	}{{r.web, true, true}, {r.api, true, false}, {unused + "0", false, false}, {"junk", false, false}} {
		exists, attached, err := r.s.TargetGroup(r.ctx, tc.arn)
		if err != nil || exists != tc.exists || attached != tc.attached {
			t.Errorf("TargetGroup(%s) = %v, %v, %v; want %v, %v", tc.arn, exists, attached, err, tc.exists, tc.attached)
		}
	}
	state := func() string {
		t.Helper()
		s, reason, err := r.s.TargetState(r.ctx, r.web, node, 32000)
		if err != nil {
			t.Fatal(err)
		}
		return s + "/" + reason
	}
	if got := state(); got != "unused/Target.NotRegistered" {
		t.Errorf("before registration: %s", got)
	}
	for range 2 {
		if err := r.s.RegisterTarget(r.ctx, r.web, node, 32000); err != nil {
			t.Fatal(err)
		}
	}
	if got := state(); got != "initial/Elb.RegistrationInProgress" {
		t.Errorf("registered: %s", got)
	}
	for range 2 {
		if err := r.s.DeregisterTarget(r.ctx, r.web, node, 32000); err != nil {
			t.Fatal(err)
		}
	}
	if got := state(); got != "draining/Target.DeregistrationInProgress" {
		t.Errorf("deregistered: %s", got)
	}
	r.dp.observe(r.web, TargetObservation{ID: node, Port: 32000, State: StateDraining, Drained: true})
	r.s.forgetDrained(r.ctx)
	if got := state(); got != "unused/Target.NotRegistered" {
		t.Errorf("drained: %s", got)
	}
	err := r.s.RegisterTarget(r.ctx, unused+"0", node, 1)
	wantCode(t, err, "TargetGroupNotFound", "not found")
}
