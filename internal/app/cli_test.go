package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the installed aws CLI against s and returns stdout; it fails the test
// on a non-zero exit unless wantFail.
func awsCLI(t *testing.T, s *server, wantFail bool, args ...string) (string, string) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the aws CLI is not installed")
		}
		t.Skip("the aws CLI is not installed")
	}
	c := s.app.Credentials()
	cmd := exec.Command(path, append([]string{"--endpoint-url", s.app.Endpoint(), "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if wantFail && err == nil {
		t.Fatalf("aws %v succeeded, want failure; stdout %s", args, stdout.String())
	}
	if !wantFail && err != nil {
		t.Fatalf("aws %v: %v\nstderr: %s", args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

func TestAWSCLI(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")

	awsCLI(t, s, false, "ecs", "create-cluster", "--cluster-name", "cli")
	out, _ := awsCLI(t, s, false, "ecs", "list-clusters")
	var list struct{ ClusterArns []string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list-clusters output: %v: %s", err, out)
	}
	found := false
	for _, arn := range list.ClusterArns {
		found = found || arn == "arn:aws:ecs:us-east-1:000000000000:cluster/cli"
	}
	if !found {
		t.Fatalf("list-clusters = %v, want the cli cluster", list.ClusterArns)
	}

	out, _ = awsCLI(t, s, false, "ecs", "register-task-definition", "--family", "one-off",
		"--container-definitions", `[{"name":"job","image":"process:/bin/sh","memory":16,"entryPoint":["-c"],"command":["echo hello; exit 3"]}]`)
	if !strings.Contains(out, `"revision": 1`) {
		t.Fatalf("register-task-definition output lacks revision 1: %s", out)
	}
	out, _ = awsCLI(t, s, false, "ecs", "run-task", "--cluster", "cli", "--task-definition", "one-off")
	var run struct {
		Tasks []struct{ TaskArn string }
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil || len(run.Tasks) != 1 {
		t.Fatalf("run-task output: %v: %s", err, out)
	}
	// The one-off process exits 3: the task stops with the essential container's exit code.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ = awsCLI(t, s, false, "ecs", "describe-tasks", "--cluster", "cli", "--tasks", run.Tasks[0].TaskArn)
		if strings.Contains(out, `"lastStatus": "STOPPED"`) && strings.Contains(out, `"exitCode": 3`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("one-off task did not stop with exit code 3: %s", out)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !strings.Contains(out, "EssentialContainerExited") {
		t.Fatalf("stopped task lacks stopCode EssentialContainerExited: %s", out)
	}

	_, stderr := awsCLI(t, s, true, "ecs", "describe-services", "--cluster", "nope", "--services", "x")
	if !strings.Contains(stderr, "ClusterNotFoundException") {
		t.Fatalf("describe-services on a missing cluster: stderr %q, want ClusterNotFoundException", stderr)
	}
}

// TestObservabilityCLI drives logs and metrics with both aws CLIs: the pip CLI (v1)
// filters a task's log events, puts a metric and describes an alarm; Debian's CLI v2
// tails the log group with --follow.
func TestObservabilityCLI(t *testing.T) {
	s := startServer(t, t.TempDir(), "process")
	chatterTask(t, s, "cli-chatter", "/ecs/cli", 256, nil)
	runToCompletion(t, s, "cli-chatter")
	var out string
	eventually(t, 30*time.Second, "the task's lines through filter-log-events", func() error {
		out, _ = awsCLI(t, s, false, "logs", "filter-log-events", "--log-group-name", "/ecs/cli", "--filter-pattern", `"slow upstream"`)
		var res struct{ Events []struct{ Message string } }
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			return err
		}
		if len(res.Events) != 1 || !strings.Contains(res.Events[0].Message, "slow upstream") {
			return fmt.Errorf("events %+v", res.Events)
		}
		return nil
	})
	awsCLI(t, s, false, "cloudwatch", "put-metric-data", "--namespace", "Shop", "--metric-name", "Orders", "--value", "7",
		"--dimensions", "Region=eu")
	awsCLI(t, s, false, "cloudwatch", "put-metric-alarm", "--alarm-name", "orders-low", "--namespace", "Shop",
		"--metric-name", "Orders", "--dimensions", "Name=Region,Value=eu", "--statistic", "Sum", "--period", "60",
		"--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "LessThanThreshold")
	out, _ = awsCLI(t, s, false, "cloudwatch", "describe-alarms", "--alarm-names", "orders-low")
	if !strings.Contains(out, `"AlarmName": "orders-low"`) {
		t.Errorf("describe-alarms: %s", out)
	}

	const v2 = "/usr/bin/aws"
	if _, err := os.Stat(v2); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the aws CLI v2 (%s) is not installed", v2)
		}
		t.Skipf("no aws CLI v2 at %s", v2)
	}
	c := s.app.Credentials()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, v2, "--endpoint-url", s.app.Endpoint(), "logs", "tail", "/ecs/cli", "--follow", "--since", "1h")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // --follow runs until the timeout kills it
	if !strings.Contains(stdout.String(), "ERROR request 0 failed") || !strings.Contains(stdout.String(), "app/chatter/") {
		t.Fatalf("aws logs tail --follow printed:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}
