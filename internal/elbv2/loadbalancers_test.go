package elbv2

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharf-dev/wharf/internal/store"
)

var (
	lbARNPattern  = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/[0-9a-f]{16}$`)
	dnsPattern    = regexp.MustCompile(`^web-[1-9][0-9]{9}\.us-east-1\.elb\.localhost$`)
	tgARNPattern  = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/[0-9a-f]{16}$`)
	lisARNPattern = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}$`)
)

func TestCreateLoadBalancer(t *testing.T) {
	e := newEnv(t)
	out, err := e.client.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{
		Name:           aws.String("web"),
		Subnets:        []string{"subnet-0a1b2c3d", "subnet-0e0f1a2b"},
		SecurityGroups: []string{"sg-0123abcd"},
		Tags:           []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lb := out.LoadBalancers[0]
	if !lbARNPattern.MatchString(aws.ToString(lb.LoadBalancerArn)) {
		t.Errorf("LoadBalancerArn = %s", aws.ToString(lb.LoadBalancerArn))
	}
	if !dnsPattern.MatchString(aws.ToString(lb.DNSName)) {
		t.Errorf("DNSName = %s", aws.ToString(lb.DNSName))
	}
	if lb.State == nil || lb.State.Code != types.LoadBalancerStateEnumActive || lb.Type != types.LoadBalancerTypeEnumApplication ||
		lb.Scheme != types.LoadBalancerSchemeEnumInternetFacing || lb.IpAddressType != types.IpAddressTypeIpv4 ||
		aws.ToString(lb.CanonicalHostedZoneId) != "Z35SXDOTRQ7X7K" || lb.CreatedTime == nil || lb.CreatedTime.IsZero() {
		t.Errorf("load balancer = %+v", lb)
	}
	if !regexp.MustCompile(`^vpc-[0-9a-f]{17}$`).MatchString(aws.ToString(lb.VpcId)) {
		t.Errorf("VpcId = %s", aws.ToString(lb.VpcId))
	}
	var zones []string
	for _, z := range lb.AvailabilityZones {
		zones = append(zones, aws.ToString(z.ZoneName)+"="+aws.ToString(z.SubnetId))
	}
	if want := []string{"us-east-1a=subnet-0a1b2c3d", "us-east-1b=subnet-0e0f1a2b"}; !slices.Equal(zones, want) {
		t.Errorf("zones = %v, want %v", zones, want)
	}
	if !slices.Equal(lb.SecurityGroups, []string{"sg-0123abcd"}) {
		t.Errorf("SecurityGroups = %v", lb.SecurityGroups)
	}

	// The same settings again: the same load balancer.
	again, err := e.client.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("web"), Subnets: []string{"subnet-0a1b2c3d", "subnet-0e0f1a2b"}, SecurityGroups: []string{"sg-0123abcd"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.LoadBalancers[0].LoadBalancerArn) != aws.ToString(lb.LoadBalancerArn) {
		t.Errorf("idempotent create made %s", aws.ToString(again.LoadBalancers[0].LoadBalancerArn))
	}
	// Other settings: DuplicateLoadBalancerName.
	_, err = e.client.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Scheme: types.LoadBalancerSchemeEnumInternal})
	wantType[*types.DuplicateLoadBalancerNameException](t, err)

	// Internal load balancers, default subnets and security group.
	in, err := e.client.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String("Private"), Scheme: types.LoadBalancerSchemeEnumInternal})
	if err != nil {
		t.Fatal(err)
	}
	p := in.LoadBalancers[0]
	if !regexp.MustCompile(`^internal-private-[0-9]{10}\.us-east-1\.elb\.localhost$`).MatchString(aws.ToString(p.DNSName)) {
		t.Errorf("internal DNSName = %s", aws.ToString(p.DNSName))
	}
	if len(p.AvailabilityZones) != 2 || aws.ToString(p.AvailabilityZones[1].ZoneName) != "us-east-1b" || len(p.SecurityGroups) != 1 {
		t.Errorf("defaults = %+v %v", p.AvailabilityZones, p.SecurityGroups)
	}
}

func TestCreateLoadBalancerErrors(t *testing.T) {
	e := newEnv(t)
	long := "a23456789012345678901234567890123"
	tests := []struct {
		name string
		in   elb.CreateLoadBalancerInput
		code string
		msg  string
	}{
		{"long name", elb.CreateLoadBalancerInput{Name: aws.String(long)}, "ValidationError", "cannot be longer than '32' characters"},
		{"bad char", elb.CreateLoadBalancerInput{Name: aws.String("web_1")}, "ValidationError", "alphanumeric characters or hyphens"},
		{"hyphen end", elb.CreateLoadBalancerInput{Name: aws.String("web-")}, "ValidationError", "cannot begin or end with '-'"},
		{"internal prefix", elb.CreateLoadBalancerInput{Name: aws.String("internal-web")}, "ValidationError", "cannot begin with 'internal-'"},
		{"network", elb.CreateLoadBalancerInput{Name: aws.String("n"), Type: types.LoadBalancerTypeEnumNetwork}, "ValidationError", "application load balancers only"},
		{"bad type", elb.CreateLoadBalancerInput{Name: aws.String("n"), Type: "classic"}, "ValidationError", "enum value set"},
		{"bad scheme", elb.CreateLoadBalancerInput{Name: aws.String("n"), Scheme: "public"}, "ValidationError", "enum value set"},
		{"one subnet", elb.CreateLoadBalancerInput{Name: aws.String("n"), Subnets: []string{"subnet-0a"}}, "ValidationError", "At least two subnets"},
		{"bad subnet", elb.CreateLoadBalancerInput{Name: aws.String("n"), Subnets: []string{"subnet-0a", "net-1"}}, "SubnetNotFound", "net-1"},
		{"same subnet", elb.CreateLoadBalancerInput{Name: aws.String("n"), Subnets: []string{"subnet-0a", "subnet-0a"}}, "ValidationError", "more than once"},
		{"bad group", elb.CreateLoadBalancerInput{Name: aws.String("n"), SecurityGroups: []string{"default"}}, "InvalidSecurityGroup", "default"},
		{"aws tag", elb.CreateLoadBalancerInput{Name: aws.String("n"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}}, "ValidationError", "reserved"},
		{"duplicate tag", elb.CreateLoadBalancerInput{Name: aws.String("n"), Tags: []types.Tag{{Key: aws.String("a")}, {Key: aws.String("a")}}}, "DuplicateTagKeys", "'a'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.CreateLoadBalancer(e.ctx, &tc.in)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	// The SDK checks required members itself: call the service directly.
	_, err := e.s.CreateLoadBalancer(e.ctx, &CreateLoadBalancerInput{})
	wantCode(t, err, "ValidationError", "Value null at 'name'")
	out, err := e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(out.LoadBalancers) != 0 {
		t.Errorf("after failures: %v %v", out, err)
	}
}

func TestDescribeLoadBalancers(t *testing.T) {
	e := newEnv(t)
	var arns []string
	for i := range 5 {
		arns = append(arns, aws.ToString(e.lb(fmt.Sprintf("lb-%d", 4-i)).LoadBalancerArn))
	}
	byName, err := e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{Names: []string{"lb-3"}})
	if err != nil || len(byName.LoadBalancers) != 1 || aws.ToString(byName.LoadBalancers[0].LoadBalancerArn) != arns[1] {
		t.Fatalf("by name: %+v %v", byName, err)
	}
	byARN, err := e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arns[0]}})
	if err != nil || len(byARN.LoadBalancers) != 1 || aws.ToString(byARN.LoadBalancers[0].LoadBalancerName) != "lb-4" {
		t.Fatalf("by ARN: %+v %v", byARN, err)
	}
	twice, err := e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{Names: []string{"lb-1", "lb-2", "lb-1"}})
	if err != nil || len(twice.LoadBalancers) != 2 {
		t.Fatalf("a name given twice: %+v %v", twice, err)
	}
	_, err = e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{Names: []string{"lb-1", "missing"}})
	wantType[*types.LoadBalancerNotFoundException](t, err)
	wantCode(t, err, "LoadBalancerNotFound", "Load balancers '[missing]' not found")
	_, err = e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{"nope"}})
	wantCode(t, err, "ValidationError", "'nope' is not a valid load balancer ARN")
	_, err = e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{Names: []string{"a"}, LoadBalancerArns: []string{arns[0]}})
	wantCode(t, err, "ValidationError", "cannot be specified at the same time")
	_, err = e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
	wantCode(t, err, "ValidationError", "less than or equal to 400")

	// Pagination, in name order, with the SDK's paginator.
	var names []string
	pages := 0
	pg := elb.NewDescribeLoadBalancersPaginator(e.client, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, lb := range out.LoadBalancers {
			names = append(names, aws.ToString(lb.LoadBalancerName))
		}
	}
	if want := []string{"lb-0", "lb-1", "lb-2", "lb-3", "lb-4"}; !slices.Equal(names, want) || pages != 3 {
		t.Errorf("paged names = %v in %d pages, want %v in 3", names, pages, want)
	}
	_, err = e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("!!")})
	wantCode(t, err, "ValidationError", "marker")
}

func TestDeleteLoadBalancer(t *testing.T) {
	e := newEnv(t)
	lb := e.lb("web")
	tg := e.tg("api")
	l := e.listener(aws.ToString(lb.LoadBalancerArn), 8080, aws.ToString(tg.TargetGroupArn))
	e.rule(aws.ToString(l.ListenerArn), 10, "/api/*", forward(aws.ToString(tg.TargetGroupArn)))

	_, err := e.client.ModifyLoadBalancerAttributes(e.ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: lb.LoadBalancerArn,
		Attributes:      []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteLoadBalancer(e.ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	wantType[*types.OperationNotPermittedException](t, err)
	wantCode(t, err, "OperationNotPermitted", "deletion protection")

	_, err = e.client.ModifyLoadBalancerAttributes(e.ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: lb.LoadBalancerArn,
		Attributes:      []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteLoadBalancer(e.ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}); err != nil {
		t.Fatal(err)
	}
	// Gone with its listeners and rules; the target group stays, unused.
	_, err = e.client.DescribeListeners(e.ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(l.ListenerArn)}})
	wantType[*types.ListenerNotFoundException](t, err)
	var rules, listeners int
	_ = e.db.View(func(tx *store.Tx) error {
		rules, listeners = tx.Count(bucketRules, ""), tx.Count(bucketListeners, "")
		return nil
	})
	if rules != 0 || listeners != 0 {
		t.Errorf("%d rules and %d listeners left in the store", rules, listeners)
	}
	tgs, err := e.client.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{Names: []string{"api"}})
	if err != nil || len(tgs.TargetGroups) != 1 || len(tgs.TargetGroups[0].LoadBalancerArns) != 0 {
		t.Errorf("target group after delete: %+v %v", tgs, err)
	}
	if snap := e.dp.snapshot(); len(snap.Listeners) != 0 || len(snap.LoadBalancers) != 0 {
		t.Errorf("data plane still serves %+v", snap)
	}
	// Deleting again succeeds, as on AWS; a malformed ARN does not.
	if _, err := e.client.DeleteLoadBalancer(e.ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}); err != nil {
		t.Errorf("second delete: %v", err)
	}
	_, err = e.client.DeleteLoadBalancer(e.ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String("web")})
	wantCode(t, err, "ValidationError", "not a valid load balancer ARN")
	// A new load balancer of the same name has a new ARN; the old one is not found.
	lb2 := e.lb("web")
	if aws.ToString(lb2.LoadBalancerArn) == aws.ToString(lb.LoadBalancerArn) {
		t.Error("a re-created load balancer has the old ARN")
	}
	_, err = e.client.DescribeLoadBalancerAttributes(e.ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
	wantType[*types.LoadBalancerNotFoundException](t, err)
}

func TestSetSecurityGroupsAndSubnets(t *testing.T) {
	e := newEnv(t)
	lb := e.lb("web")
	sg, err := e.client.SetSecurityGroups(e.ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: []string{"sg-0a", "sg-0b"}})
	if err != nil || !slices.Equal(sg.SecurityGroupIds, []string{"sg-0a", "sg-0b"}) {
		t.Fatalf("SetSecurityGroups: %+v %v", sg, err)
	}
	sn, err := e.client.SetSubnets(e.ctx, &elb.SetSubnetsInput{LoadBalancerArn: lb.LoadBalancerArn, Subnets: []string{"subnet-01", "subnet-02", "subnet-03"}})
	if err != nil || len(sn.AvailabilityZones) != 3 || aws.ToString(sn.AvailabilityZones[2].ZoneName) != "us-east-1c" {
		t.Fatalf("SetSubnets: %+v %v", sn, err)
	}
	out, err := e.client.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(lb.LoadBalancerArn)}})
	if err != nil {
		t.Fatal(err)
	}
	got := out.LoadBalancers[0]
	if !slices.Equal(got.SecurityGroups, []string{"sg-0a", "sg-0b"}) || len(got.AvailabilityZones) != 3 ||
		aws.ToString(got.AvailabilityZones[0].SubnetId) != "subnet-01" {
		t.Errorf("after set: %+v", got)
	}
	_, err = e.client.SetSecurityGroups(e.ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(aws.ToString(lb.LoadBalancerArn) + "0"), SecurityGroups: []string{"sg-0a"}})
	wantType[*types.LoadBalancerNotFoundException](t, err)
	_, err = e.client.SetSubnets(e.ctx, &elb.SetSubnetsInput{LoadBalancerArn: lb.LoadBalancerArn, Subnets: []string{"subnet-01"}})
	wantCode(t, err, "ValidationError", "At least two subnets")
}

func TestLoadBalancerAttributes(t *testing.T) {
	e := newEnv(t)
	lb := e.lb("web")
	attrs := func(list []types.LoadBalancerAttribute) map[string]string {
		m := map[string]string{}
		for _, a := range list {
			m[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		return m
	}
	out, err := e.client.DescribeLoadBalancerAttributes(e.ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	defaults := attrs(out.Attributes)
	for k, v := range map[string]string{
		"idle_timeout.timeout_seconds": "60", "deletion_protection.enabled": "false", "routing.http2.enabled": "true",
		"routing.http.xff_header_processing.mode": "append", "routing.http.desync_mitigation_mode": "defensive",
		"routing.http.drop_invalid_header_fields.enabled": "false", "access_logs.s3.enabled": "false",
	} {
		if defaults[k] != v {
			t.Errorf("default %s = %q, want %q", k, defaults[k], v)
		}
	}
	mod, err := e.client.ModifyLoadBalancerAttributes(e.ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: lb.LoadBalancerArn,
		Attributes: []types.LoadBalancerAttribute{
			{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")},
			{Key: aws.String("routing.http.preserve_host_header.enabled"), Value: aws.String("true")},
			{Key: aws.String("routing.http.xff_header_processing.mode"), Value: aws.String("remove")},
			{Key: aws.String("access_logs.s3.enabled"), Value: aws.String("true")},
			{Key: aws.String("access_logs.s3.bucket"), Value: aws.String("logs")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := attrs(mod.Attributes)
	if m["idle_timeout.timeout_seconds"] != "120" || m["routing.http.preserve_host_header.enabled"] != "true" || len(m) != len(defaults) {
		t.Errorf("modified = %v", m)
	}
	again, _ := e.client.DescribeLoadBalancerAttributes(e.ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
	if got := attrs(again.Attributes); got["access_logs.s3.bucket"] != "logs" || got["idle_timeout.timeout_seconds"] != "120" {
		t.Errorf("described after modify = %v", got)
	}
	lbc := e.dp.snapshot().LoadBalancers[aws.ToString(lb.LoadBalancerArn)]
	if lbc.IdleTimeout.Seconds() != 120 || !lbc.PreserveHostHeader || lbc.XFFHeaderProcessing != "remove" || lbc.DesyncMitigationMode != "defensive" {
		t.Errorf("data plane config = %+v", lbc)
	}

	tests := []struct{ key, value, msg string }{
		{"idle_timeout.timeout_seconds", "0", "from 1 to 4000"},
		{"idle_timeout.timeout_seconds", "4001", "from 1 to 4000"},
		{"deletion_protection.enabled", "yes", "true or false"},
		{"routing.http.desync_mitigation_mode", "lax", "monitor, defensive, strictest"},
		{"routing.http.xff_header_processing.mode", "drop", "append, preserve, remove"},
		{"connection_logs.s3.enabled", "true", "connection_logs.s3.bucket"},
		{"no.such.key", "1", "'no.such.key' is not recognized"},
	}
	for _, tc := range tests {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := e.client.ModifyLoadBalancerAttributes(e.ctx, &elb.ModifyLoadBalancerAttributesInput{
				LoadBalancerArn: lb.LoadBalancerArn,
				Attributes:      []types.LoadBalancerAttribute{{Key: aws.String(tc.key), Value: aws.String(tc.value)}},
			})
			wantCode(t, err, "ValidationError", tc.msg)
		})
	}
}
