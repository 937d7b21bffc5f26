package elbv2

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestCreateTargetGroup(t *testing.T) {
	e := newEnv(t)
	tg := e.tg("api")
	if !tgARNPattern.MatchString(aws.ToString(tg.TargetGroupArn)) {
		t.Errorf("TargetGroupArn = %s", aws.ToString(tg.TargetGroupArn))
	}
	// AWS's defaults for an HTTP target group of an application load balancer.
	if tg.Protocol != types.ProtocolEnumHttp || aws.ToInt32(tg.Port) != 80 || aws.ToString(tg.VpcId) != "vpc-0123456789abcdef0" ||
		tg.TargetType != types.TargetTypeEnumInstance || tg.HealthCheckProtocol != types.ProtocolEnumHttp ||
		aws.ToString(tg.HealthCheckPort) != "traffic-port" || aws.ToString(tg.HealthCheckPath) != "/" ||
		!aws.ToBool(tg.HealthCheckEnabled) || aws.ToInt32(tg.HealthCheckIntervalSeconds) != 30 ||
		aws.ToInt32(tg.HealthCheckTimeoutSeconds) != 5 || aws.ToInt32(tg.HealthyThresholdCount) != 5 ||
		aws.ToInt32(tg.UnhealthyThresholdCount) != 2 || tg.Matcher == nil || aws.ToString(tg.Matcher.HttpCode) != "200" ||
		aws.ToString(tg.ProtocolVersion) != "HTTP1" || tg.IpAddressType != types.TargetGroupIpAddressTypeEnumIpv4 ||
		tg.LoadBalancerArns == nil || len(tg.LoadBalancerArns) != 0 {
		t.Errorf("target group = %+v", tg)
	}
	// The same settings again: the same target group; other settings: an error.
	again := e.tg("api")
	if aws.ToString(again.TargetGroupArn) != aws.ToString(tg.TargetGroupArn) {
		t.Errorf("idempotent create made %s", aws.ToString(again.TargetGroupArn))
	}
	_, err := e.client.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String("vpc-0123456789abcdef0"),
	})
	wantType[*types.DuplicateTargetGroupNameException](t, err)

	custom, err := e.client.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("ips"), Protocol: types.ProtocolEnumHttps, Port: aws.Int32(8443), TargetType: types.TargetTypeEnumIp,
		HealthCheckPath: aws.String("/healthz"), HealthCheckPort: aws.String("9000"), HealthCheckIntervalSeconds: aws.Int32(10),
		HealthCheckTimeoutSeconds: aws.Int32(3), HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(3),
		Matcher: &types.Matcher{HttpCode: aws.String("200-299,302")}, HealthCheckEnabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := custom.TargetGroups[0]
	if aws.ToString(c.HealthCheckPath) != "/healthz" || aws.ToString(c.HealthCheckPort) != "9000" || aws.ToInt32(c.HealthCheckIntervalSeconds) != 10 ||
		aws.ToString(c.Matcher.HttpCode) != "200-299,302" || aws.ToBool(c.HealthCheckEnabled) || c.TargetType != types.TargetTypeEnumIp ||
		aws.ToString(c.VpcId) == "" {
		t.Errorf("custom target group = %+v", c)
	}
}

func TestCreateTargetGroupErrors(t *testing.T) {
	e := newEnv(t)
	base := func(mod func(*elb.CreateTargetGroupInput)) elb.CreateTargetGroupInput {
		in := elb.CreateTargetGroupInput{Name: aws.String("tg"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80)}
		mod(&in)
		return in
	}
	tests := []struct {
		name string
		in   elb.CreateTargetGroupInput
		code string
		msg  string
	}{
		{"bad name", base(func(in *elb.CreateTargetGroupInput) { in.Name = aws.String("a.b") }), "ValidationError", "alphanumeric"},
		{"no protocol", base(func(in *elb.CreateTargetGroupInput) { in.Protocol = "" }), "ValidationError", "protocol must be specified"},
		{"tcp", base(func(in *elb.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp }), "ValidationError", "HTTP or HTTPS"},
		{"no port", base(func(in *elb.CreateTargetGroupInput) { in.Port = nil }), "ValidationError", "port must be specified"},
		{"port 0", base(func(in *elb.CreateTargetGroupInput) { in.Port = aws.Int32(0) }), "ValidationError", "greater than or equal to 1"},
		{"lambda", base(func(in *elb.CreateTargetGroupInput) { in.TargetType = types.TargetTypeEnumLambda }), "ValidationError", "instances and IP addresses"},
		{"grpc", base(func(in *elb.CreateTargetGroupInput) { in.ProtocolVersion = aws.String("GRPC") }), "ValidationError", "HTTP1"},
		{"bad vpc", base(func(in *elb.CreateTargetGroupInput) { in.VpcId = aws.String("default") }), "ValidationError", "VPC ID 'default'"},
		{"interval", base(func(in *elb.CreateTargetGroupInput) { in.HealthCheckIntervalSeconds = aws.Int32(4) }), "ValidationError", "healthCheckIntervalSeconds"},
		{"timeout", base(func(in *elb.CreateTargetGroupInput) { in.HealthCheckTimeoutSeconds = aws.Int32(121) }), "ValidationError", "less than or equal to 120"},
		{"timeout ≥ interval", base(func(in *elb.CreateTargetGroupInput) {
			in.HealthCheckIntervalSeconds, in.HealthCheckTimeoutSeconds = aws.Int32(10), aws.Int32(10)
		}), "ValidationError", "interval must be greater than the timeout"},
		{"healthy", base(func(in *elb.CreateTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(11) }), "ValidationError", "healthyThresholdCount"},
		{"unhealthy", base(func(in *elb.CreateTargetGroupInput) { in.UnhealthyThresholdCount = aws.Int32(1) }), "ValidationError", "unhealthyThresholdCount"},
		{"path", base(func(in *elb.CreateTargetGroupInput) { in.HealthCheckPath = aws.String("health") }), "ValidationError", "begin with a '/'"},
		{"hc port", base(func(in *elb.CreateTargetGroupInput) { in.HealthCheckPort = aws.String("70000") }), "ValidationError", "traffic-port"},
		{"hc protocol", base(func(in *elb.CreateTargetGroupInput) { in.HealthCheckProtocol = types.ProtocolEnumTcp }), "ValidationError", "HTTP or HTTPS"},
		{"matcher 600", base(func(in *elb.CreateTargetGroupInput) { in.Matcher = &types.Matcher{HttpCode: aws.String("600")} }), "ValidationError", "from 200 to 499"},
		{"matcher range", base(func(in *elb.CreateTargetGroupInput) { in.Matcher = &types.Matcher{HttpCode: aws.String("300-200")} }), "ValidationError", "'300-200'"},
		{"matcher text", base(func(in *elb.CreateTargetGroupInput) { in.Matcher = &types.Matcher{HttpCode: aws.String("ok")} }), "ValidationError", "'ok'"},
		{"grpc matcher", base(func(in *elb.CreateTargetGroupInput) { in.Matcher = &types.Matcher{GrpcCode: aws.String("0")} }), "ValidationError", "GRPC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.CreateTargetGroup(e.ctx, &tc.in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
}

func TestDescribeModifyDeleteTargetGroups(t *testing.T) {
	e := newEnv(t)
	api, web, other := e.tg("api"), e.tg("web"), e.tg("other")
	lb := e.lb("web")
	l := e.listener(aws.ToString(lb.LoadBalancerArn), 80, aws.ToString(web.TargetGroupArn))
	e.rule(aws.ToString(l.ListenerArn), 5, "/api/*", forward(aws.ToString(api.TargetGroupArn)))

	byLB, err := e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range byLB.TargetGroups {
		names = append(names, aws.ToString(tg.TargetGroupName))
		if !slices.Equal(tg.LoadBalancerArns, []string{aws.ToString(lb.LoadBalancerArn)}) {
			t.Errorf("%s LoadBalancerArns = %v", aws.ToString(tg.TargetGroupName), tg.LoadBalancerArns)
		}
	}
	if !slices.Equal(names, []string{"api", "web"}) {
		t.Errorf("target groups of the load balancer = %v", names)
	}
	byARN, err := e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{aws.ToString(other.TargetGroupArn)}})
	if err != nil || len(byARN.TargetGroups) != 1 || aws.ToString(byARN.TargetGroups[0].TargetGroupName) != "other" {
		t.Fatalf("by ARN: %+v %v", byARN, err)
	}
	_, err = e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}})
	wantType[*types.TargetGroupNotFoundException](t, err)
	wantCode(t, err, "TargetGroupNotFound", "Target groups '[nope]' not found")
	_, err = e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{Names: []string{"api"}, LoadBalancerArn: lb.LoadBalancerArn})
	wantCode(t, err, "ValidationError", "Only one of")
	all, err := e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	if err != nil || len(all.TargetGroups) != 2 || all.NextMarker == nil {
		t.Fatalf("first page: %+v %v", all, err)
	}
	rest, err := e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2), Marker: all.NextMarker})
	if err != nil || len(rest.TargetGroups) != 1 || aws.ToString(rest.TargetGroups[0].TargetGroupName) != "web" || rest.NextMarker != nil {
		t.Fatalf("second page: %+v %v", rest, err)
	}

	mod, err := e.client.ModifyTargetGroup(e.ctx, &elb.ModifyTargetGroupInput{
		TargetGroupArn: api.TargetGroupArn, HealthCheckPath: aws.String("/ping"), HealthCheckIntervalSeconds: aws.Int32(6),
		Matcher: &types.Matcher{HttpCode: aws.String("200,204")},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := mod.TargetGroups[0]
	if aws.ToString(m.HealthCheckPath) != "/ping" || aws.ToInt32(m.HealthCheckIntervalSeconds) != 6 || aws.ToInt32(m.HealthCheckTimeoutSeconds) != 5 ||
		aws.ToString(m.Matcher.HttpCode) != "200,204" || len(m.LoadBalancerArns) != 1 {
		t.Errorf("modified = %+v", m)
	}
	_, err = e.client.ModifyTargetGroup(e.ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: api.TargetGroupArn, HealthCheckTimeoutSeconds: aws.Int32(6)})
	wantCode(t, err, "ValidationError", "interval must be greater than the timeout")
	if tgc := e.dp.snapshot().TargetGroups[aws.ToString(api.TargetGroupArn)]; tgc.HealthCheckPath != "/ping" || tgc.Matcher != "200,204" || tgc.HealthCheckInterval.Seconds() != 6 {
		t.Errorf("data plane config = %+v", tgc)
	}

	_, err = e.client.DeleteTargetGroup(e.ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: api.TargetGroupArn})
	wantType[*types.ResourceInUseException](t, err)
	_, err = e.client.DeleteTargetGroup(e.ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: web.TargetGroupArn})
	wantType[*types.ResourceInUseException](t, err)
	if _, err := e.client.DeleteTargetGroup(e.ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: other.TargetGroupArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteTargetGroup(e.ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: other.TargetGroupArn}); err != nil {
		t.Errorf("deleting a deleted target group: %v", err)
	}
	_, err = e.client.DescribeTargetGroupAttributes(e.ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: other.TargetGroupArn})
	wantType[*types.TargetGroupNotFoundException](t, err)
}

func TestTargetGroupAttributes(t *testing.T) {
	e := newEnv(t)
	tg := e.tg("api")
	get := func(list []types.TargetGroupAttribute) map[string]string {
		m := map[string]string{}
		for _, a := range list {
			m[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		return m
	}
	out, err := e.client.DescribeTargetGroupAttributes(e.ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	defaults := get(out.Attributes)
	for k, v := range map[string]string{
		"deregistration_delay.timeout_seconds": "300", "slow_start.duration_seconds": "0", "stickiness.enabled": "false",
		"stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "86400", "load_balancing.algorithm.type": "round_robin",
	} {
		if defaults[k] != v {
			t.Errorf("default %s = %q, want %q", k, defaults[k], v)
		}
	}
	mod, err := e.client.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn,
		Attributes: []types.TargetGroupAttribute{
			{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("20")},
			{Key: aws.String("slow_start.duration_seconds"), Value: aws.String("30")},
			{Key: aws.String("stickiness.enabled"), Value: aws.String("true")},
			{Key: aws.String("stickiness.lb_cookie.duration_seconds"), Value: aws.String("60")},
			{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String("least_outstanding_requests")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := get(mod.Attributes); m["deregistration_delay.timeout_seconds"] != "20" || m["stickiness.enabled"] != "true" || len(m) != len(defaults) {
		t.Errorf("modified = %v", m)
	}
	again, _ := e.client.DescribeTargetGroupAttributes(e.ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
	if m := get(again.Attributes); m["load_balancing.algorithm.type"] != "least_outstanding_requests" || m["slow_start.duration_seconds"] != "30" {
		t.Errorf("described after modify = %v", m)
	}
	tgc := e.dp.snapshot().TargetGroups[aws.ToString(tg.TargetGroupArn)]
	if tgc.DeregistrationDelay.Seconds() != 20 || tgc.SlowStart.Seconds() != 30 || !tgc.StickinessEnabled || tgc.StickinessType != "lb_cookie" ||
		tgc.StickinessDuration.Seconds() != 60 || tgc.Algorithm != "least_outstanding_requests" {
		t.Errorf("data plane config = %+v", tgc)
	}

	tests := []struct{ key, value, msg string }{
		{"deregistration_delay.timeout_seconds", "3601", "from 0 to 3600"},
		{"slow_start.duration_seconds", "10", "0 (disabled) or an integer from 30 to 900"},
		{"stickiness.type", "source_ip", "lb_cookie, app_cookie"},
		{"stickiness.lb_cookie.duration_seconds", "0", "from 1 to 604800"},
		{"load_balancing.algorithm.type", "random", "round_robin"},
		{"stickiness.app_cookie.cookie_name", "AWSALBX", "reserved"},
		{"load_balancing.algorithm.anomaly_mitigation", "on", "weighted_random"},
		{"proxy_protocol_v2.enabled", "true", "'proxy_protocol_v2.enabled' is not recognized"},
	}
	for _, tc := range tests {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := e.client.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{
				TargetGroupArn: tg.TargetGroupArn,
				Attributes:     []types.TargetGroupAttribute{{Key: aws.String(tc.key), Value: aws.String(tc.value)}},
			})
			wantCode(t, err, "ValidationError", tc.msg)
		})
	}
	// Application cookie stickiness needs a cookie name.
	_, err = e.client.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn,
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String("stickiness.type"), Value: aws.String("app_cookie")}},
	})
	wantCode(t, err, "ValidationError", "stickiness.app_cookie.cookie_name")
}
