package autoscaling

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// TestAWSCLI drives Application Auto Scaling with the installed aws CLI (botocore):
// register a target, put a target tracking policy from a JSON file, watch it scale
// through CloudWatch, and read the scaling activities.
func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	cli := gatewaytest.NewAWSCLI(t, e.url, "AKIDCLI", "secret")
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, append([]string{"application-autoscaling"}, args...)...)
	}
	target := []string{"--service-namespace", "ecs", "--scalable-dimension", "ecs:service:DesiredCount", "--resource-id", "service/default/web"}

	out := run(false, append([]string{"register-scalable-target", "--min-capacity", "1", "--max-capacity", "6",
		"--tags", "team=web"}, target...)...)
	var reg struct{ ScalableTargetARN string }
	if err := json.Unmarshal([]byte(out), &reg); err != nil || !strings.Contains(reg.ScalableTargetARN, ":scalable-target/") {
		t.Fatalf("register-scalable-target: %q %v", out, err)
	}
	cfg := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(cfg, []byte(`{"TargetValue": 75.0, "PredefinedMetricSpecification":
		{"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, "ScaleOutCooldown": 60, "ScaleInCooldown": 60}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out = run(false, append([]string{"put-scaling-policy", "--policy-name", "cpu75", "--policy-type", "TargetTrackingScaling",
		"--target-tracking-scaling-policy-configuration", "file://" + cfg}, target...)...)
	var put struct {
		PolicyARN string
		Alarms    []struct{ AlarmName, AlarmARN string }
	}
	if err := json.Unmarshal([]byte(out), &put); err != nil || len(put.Alarms) != 2 || !strings.HasSuffix(put.PolicyARN, ":policyName/cpu75") {
		t.Fatalf("put-scaling-policy: %q %v", out, err)
	}
	// The errors of bad input, as the CLI reports them.
	stderr := run(true, "register-scalable-target", "--service-namespace", "dynamodb", "--scalable-dimension",
		"dynamodb:table:ReadCapacityUnits", "--resource-id", "table/t", "--min-capacity", "1", "--max-capacity", "2")
	if !strings.Contains(stderr, "ValidationException") || !strings.Contains(stderr, "Unsupported service namespace") {
		t.Fatalf("unsupported namespace: %s", stderr)
	}
	stderr = run(true, append([]string{"put-scheduled-action", "--scheduled-action-name", "bad", "--schedule", "cron(0 9 * * *)",
		"--scalable-target-action", "MinCapacity=2"}, target...)...)
	if !strings.Contains(stderr, "ValidationException") || !strings.Contains(stderr, "six fields") {
		t.Fatalf("bad cron: %s", stderr)
	}

	l := startLoop(t, e.cwClk, e.cw.Run)
	for range 3 {
		e.putCPU(95)
		l.step(time.Minute)
	}
	out = run(false, append([]string{"describe-scaling-activities"}, target...)...)
	var acts struct {
		ScalingActivities []struct {
			Description, Cause, StatusCode, StatusMessage string
			StartTime                                     float64
		}
	}
	if err := json.Unmarshal([]byte(out), &acts); err != nil || len(acts.ScalingActivities) != 1 {
		t.Fatalf("describe-scaling-activities: %q %v", out, err)
	}
	a := acts.ScalingActivities[0]
	if a.Description != "Setting desired count to 3." || a.StatusCode != "Successful" || a.StartTime == 0 ||
		!strings.HasPrefix(a.Cause, "monitor alarm TargetTracking-service/default/web-AlarmHigh-") || !strings.HasSuffix(a.Cause, " in state ALARM triggered policy cpu75") {
		t.Fatalf("activity: %+v", a)
	}
	out = run(false, "describe-scaling-policies", "--service-namespace", "ecs")
	if !strings.Contains(out, `"PolicyName": "cpu75"`) || !strings.Contains(out, `"TargetValue": 75`) {
		t.Fatalf("describe-scaling-policies: %s", out)
	}
	out = run(false, "list-tags-for-resource", "--resource-arn", reg.ScalableTargetARN)
	if !strings.Contains(out, `"team": "web"`) {
		t.Fatalf("list-tags-for-resource: %s", out)
	}
}
