package elbv2

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// TestAWSCLI drives the service with the installed aws CLI (botocore), which has its own
// awsQuery serializer and XML parser.
func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	cli := gatewaytest.NewAWSCLI(t, e.url, "AKIDCLI", "secret")
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, append([]string{"elbv2"}, args...)...)
	}
	field := func(out, list, name string) string {
		t.Helper()
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc[list]) == 0 {
			t.Fatalf("output %q: %v", out, err)
		}
		s, _ := doc[list][0][name].(string)
		return s
	}

	out := run(false, "create-load-balancer", "--name", "cli-lb", "--subnets", "subnet-0aa", "subnet-0bb", "--tags", "Key=app,Value=web")
	lbARN := field(out, "LoadBalancers", "LoadBalancerArn")
	if !strings.Contains(out, `"DNSName": "cli-lb-`) || !strings.Contains(out, `"Code": "active"`) || !strings.Contains(out, `"ZoneName": "us-east-1b"`) {
		t.Errorf("create-load-balancer output:\n%s", out)
	}
	out = run(false, "create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "8080",
		"--vpc-id", "vpc-0123abcd", "--health-check-path", "/health", "--matcher", "HttpCode=200-299")
	tgARN := field(out, "TargetGroups", "TargetGroupArn")
	if !strings.Contains(out, `"HealthCheckIntervalSeconds": 30`) || !strings.Contains(out, `"HttpCode": "200-299"`) {
		t.Errorf("create-target-group output:\n%s", out)
	}
	run(false, "register-targets", "--target-group-arn", tgARN, "--targets", "Id=i-0123456789abcdef0,Port=31000")
	out = run(false, "describe-target-health", "--target-group-arn", tgARN)
	for _, want := range []string{`"Id": "i-0123456789abcdef0"`, `"Port": 31000`, `"State": "unused"`, `"Reason": "Target.NotInUse"`, `"HealthCheckPort": "31000"`} {
		if !strings.Contains(out, want) {
			t.Errorf("describe-target-health lacks %s:\n%s", want, out)
		}
	}
	run(false, "create-listener", "--load-balancer-arn", lbARN, "--protocol", "HTTP", "--port", "8080",
		"--default-actions", "Type=forward,TargetGroupArn="+tgARN)
	out = run(false, "describe-target-health", "--target-group-arn", tgARN)
	if !strings.Contains(out, `"State": "initial"`) || !strings.Contains(out, `"Reason": "Elb.RegistrationInProgress"`) {
		t.Errorf("describe-target-health in use:\n%s", out)
	}
	out = run(true, "create-rule", "--listener-arn", strings.Replace(lbARN, "loadbalancer/", "listener/", 1)+"/0123456789abcdef",
		"--priority", "1", "--conditions", "Field=path-pattern,Values=/a", "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=404}")
	if !strings.Contains(out, "(ListenerNotFound)") {
		t.Errorf("create-rule on a missing listener:\n%s", out)
	}
	out = run(true, "create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "9090", "--vpc-id", "vpc-0123abcd")
	if !strings.Contains(out, "(DuplicateTargetGroupName)") {
		t.Errorf("duplicate target group:\n%s", out)
	}
}
