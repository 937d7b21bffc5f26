package gateway

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAWSCLI drives the gateway with the installed aws CLI (botocore), which has its
// own serializers: awsJson for ECS, awsQuery for ELBv2, awsJson1_0 (query-compatible)
// for CloudWatch.
func TestAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not on PATH: .ci/run installs it")
		}
		t.Skip("aws CLI not on PATH")
	}
	h := newHarness(t, 0)
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
	tests := []struct {
		args []string
		fail bool
		want []string // substrings of stdout (success) or stderr (failure)
	}{
		{args: []string{"ecs", "list-clusters"}, want: []string{`"arn:aws:ecs:us-east-1:123456789012:cluster/default"`}},
		{args: []string{"ecs", "describe-clusters", "--clusters", "default", "missing"},
			want: []string{`"clusterName": "default"`, `"reason": "MISSING"`}},
		{args: []string{"ecs", "create-service", "--cluster", "default", "--service-name", "web", "--task-definition", "web:1", "--desired-count", "2"},
			want: []string{`"desiredCount": 2`, `"createdAt": 1704164645.678`}},
		{args: []string{"ecs", "list-services", "--cluster", "missing"}, fail: true,
			want: []string{"An error occurred (ClusterNotFoundException) when calling the ListServices operation: Cluster not found."}},
		{args: []string{"elbv2", "describe-load-balancers", "--names", "my-lb"},
			want: []string{`"LoadBalancerName": "my-lb"`, `"CreatedTime": "2024-01-02T03:04:05.678`, `"Code": "active"`}},
		{args: []string{"elbv2", "describe-load-balancers", "--names", "missing"}, fail: true,
			want: []string{"(LoadBalancerNotFound)", "Load balancers '[missing]' not found"}},
		{args: []string{"cloudwatch", "describe-alarms"}, want: []string{`"AlarmName": "cpu-high"`, `"Threshold": 80.5`}},
		{args: []string{"cloudwatch", "get-dashboard", "--dashboard-name", "missing"}, fail: true,
			want: []string{"(ResourceNotFound)"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[:2], " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append([]string{"--endpoint-url", h.srv.URL, "--output", "json"}, tc.args...)
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = env
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("running aws: %v", err)
			}
			if failed := err != nil; failed != tc.fail {
				t.Fatalf("aws %v: error %v, want failure %v\nstdout: %s\nstderr: %s", tc.args, err, tc.fail, stdout.String(), stderr.String())
			}
			out := stdout.String()
			if tc.fail {
				out = stderr.String()
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("aws %v output lacks %q:\n%s", tc.args, w, out)
				}
			}
		})
	}
}
