package elbv2

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives the service with the installed aws CLI (botocore), which has its own
// awsQuery serializer and XML parser.
func TestAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not on PATH: .ci/run installs it")
		}
		t.Skip("aws CLI not on PATH")
	}
	e := newEnv(t)
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDCLI",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + home + "/config",
		"AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	}
	if v := os.Getenv("PYENV_ROOT"); v != "" {
		env = append(env, "PYENV_ROOT="+v)
	}
	run := func(fail bool, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", e.srv.URL, "--output", "json", "elbv2"}, args...)...)
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("running aws: %v", err)
		}
		if (err != nil) != fail {
			t.Fatalf("aws elbv2 %v: error %v, want failure %v\nstdout: %s\nstderr: %s", args, err, fail, stdout.String(), stderr.String())
		}
		if fail {
			return stderr.String()
		}
		return stdout.String()
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
