package logs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// realClock makes a test environment use the system clock, as the CLIs compute times
// from it.
func realClock(c *Config) { c.Clock = nil }

// TestAWSCLI drives CloudWatch Logs with the installed aws CLI (botocore), which has
// its own awsJson serializer, parser and paginator.
func TestAWSCLI(t *testing.T) {
	e := newEnv(t, realClock)
	cli := gatewaytest.NewAWSCLI(t, e.url, "AKIDCLI", "secret")
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, append([]string{"logs"}, args...)...)
	}
	run(false, "create-log-group", "--log-group-name", "/cli/app", "--tags", "team=a")
	run(false, "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "web")
	now := time.Now().UnixMilli()
	var evs []string
	for i := range 30 {
		msg := fmt.Sprintf("GET /%d 200", i)
		if i%10 == 3 {
			msg = fmt.Sprintf("ERROR request %d failed", i)
		}
		evs = append(evs, fmt.Sprintf(`{"timestamp":%d,"message":%q}`, now-30_000+int64(i), msg))
	}
	out := run(false, "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web", "--log-events", "["+strings.Join(evs, ",")+"]")
	var put struct{ NextSequenceToken string }
	if err := json.Unmarshal([]byte(out), &put); err != nil || len(put.NextSequenceToken) != 56 {
		t.Fatalf("put-log-events: %q %v", out, err)
	}

	// filter-log-events with a pattern; --page-size makes the CLI follow nextToken.
	out = run(false, "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR", "--page-size", "2")
	var filtered struct {
		Events []struct {
			LogStreamName, Message, EventId string
			Timestamp                       int64
		}
		SearchedLogStreams []struct{ LogStreamName string }
	}
	if err := json.Unmarshal([]byte(out), &filtered); err != nil {
		t.Fatalf("filter-log-events: %q %v", out, err)
	}
	if len(filtered.Events) != 3 || filtered.Events[0].Message != "ERROR request 3 failed" || filtered.Events[2].Message != "ERROR request 23 failed" ||
		filtered.Events[0].LogStreamName != "web" || filtered.Events[0].Timestamp != now-30_000+3 {
		t.Fatalf("filter-log-events: %+v", filtered.Events)
	}
	out = run(false, "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", `[method, path, status = 200]`, "--max-items", "5")
	if err := json.Unmarshal([]byte(out), &filtered); err != nil || len(filtered.Events) != 5 || filtered.Events[0].Message != "GET /0 200" {
		t.Fatalf("filter-log-events, space-delimited: %q %v", out, err)
	}

	out = run(false, "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web", "--start-from-head", "--limit", "4")
	var got struct {
		Events                              []struct{ Message string }
		NextForwardToken, NextBackwardToken string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Events) != 4 || got.Events[0].Message != "GET /0 200" ||
		!strings.HasPrefix(got.NextForwardToken, "f/") || !strings.HasPrefix(got.NextBackwardToken, "b/") {
		t.Fatalf("get-log-events: %q %v", out, err)
	}

	out = run(false, "describe-log-groups", "--log-group-name-prefix", "/cli")
	if !strings.Contains(out, `"arn": "arn:aws:logs:us-east-1:000000000000:log-group:/cli/app:*"`) {
		t.Fatalf("describe-log-groups: %s", out)
	}
	out = run(false, "test-metric-filter", "--filter-pattern", "[ip, user, status = 4*]", "--log-event-messages", "1.2.3.4 bob 404", "1.2.3.4 bob 200")
	if !strings.Contains(out, `"$status": "404"`) || !strings.Contains(out, `"eventNumber": 1`) {
		t.Fatalf("test-metric-filter: %s", out)
	}

	stderr := run(true, "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "nope", "--log-events", fmt.Sprintf(`[{"timestamp":%d,"message":"x"}]`, now))
	if !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "The specified log stream does not exist.") {
		t.Fatalf("unknown stream: %s", stderr)
	}
	stderr = run(true, "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "a@b")
	if !strings.Contains(stderr, "InvalidParameterException") || !strings.Contains(stderr, "Invalid character(s) in term '@'") {
		t.Fatalf("malformed pattern: %s", stderr)
	}
	stderr = run(true, "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web", "--log-events",
		fmt.Sprintf(`[{"timestamp":%d,"message":"b"},{"timestamp":%d,"message":"a"}]`, now, now-1))
	if !strings.Contains(stderr, "chronological order") {
		t.Fatalf("out of order: %s", stderr)
	}
}

// debianAWS is where `apt-get install awscli` puts CLI v2, which has `aws logs tail`.
const debianAWS = "/usr/bin/aws"

// TestAWSCLITailFollow runs `aws logs tail --follow` of CLI v2, which polls
// FilterLogEvents, and checks that it prints the events that exist and those that
// arrive while it runs, once each.
func TestAWSCLITailFollow(t *testing.T) {
	if _, err := os.Stat(debianAWS); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI installs awscli", debianAWS)
		}
		t.Skipf("%s missing (apt-get install awscli)", debianAWS)
	}
	e := newEnv(t, realClock)
	e.group("/tail/app")
	e.stream("/tail/app", "a")
	e.stream("/tail/app", "b")
	now := time.Now().UnixMilli()
	e.put("/tail/app", "a", []int64{now - 2000, now - 1000}, "ERROR early one", "INFO early two")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, debianAWS, "--endpoint-url", e.url, "--region", "us-east-1", "logs", "tail", "/tail/app",
		"--follow", "--since", "10m", "--format", "short", "--filter-pattern", "?ERROR ?WARN")
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_ACCESS_KEY_ID=AKIDTAIL", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
		"PYTHONUNBUFFERED=1", // print each event as it comes, not when a pipe buffer fills
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var seen []string
	await := func(want string) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("aws logs tail exited waiting for %q; printed %q; stderr: %s", want, seen, stderr.String())
				}
				seen = append(seen, l)
				if strings.HasSuffix(l, " "+want) {
					return
				}
			case <-deadline:
				t.Fatalf("aws logs tail did not print %q; printed %q; stderr: %s", want, seen, stderr.String())
			}
		}
	}
	await("ERROR early one")
	// New events in both streams, one of them at the newest timestamp already seen.
	e.put("/tail/app", "b", []int64{now - 2000, time.Now().UnixMilli()}, "WARN same time as the last", "ERROR late")
	await("ERROR late")
	e.put("/tail/app", "a", []int64{time.Now().UnixMilli()}, "ERROR later")
	await("ERROR later")
	want := []string{"ERROR early one", "WARN same time as the last", "ERROR late", "ERROR later"}
	if len(seen) != len(want) {
		t.Fatalf("tail printed %q, want each of %q once", seen, want)
	}
	for i, w := range want {
		if !strings.HasSuffix(seen[i], " "+w) {
			t.Fatalf("tail printed %q, want %q", seen, want)
		}
	}
	// The group exists through the SDK too (the CLI did not create anything).
	if out, err := e.client.DescribeLogGroups(e.ctx, &sdk.DescribeLogGroupsInput{}); err != nil || len(out.LogGroups) != 1 {
		t.Fatalf("groups: %v %v", out, err)
	}
}
