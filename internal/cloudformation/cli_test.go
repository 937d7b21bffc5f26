package cloudformation

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/gateway/gatewaytest"
)

// settlingProxy serves the gateway through a proxy that holds DescribeStacks until no stack
// operation runs: the CLI's waiters poll at once and then only every 30 seconds, and
// the test should not depend on the engine beating the CLI to its first poll.
func settlingProxy(t *testing.T, e *env) string {
	t.Helper()
	target, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "Action=DescribeStacks") {
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				e.s.mu.Lock()
				n := len(e.s.running)
				e.s.mu.Unlock()
				if n == 0 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const cliTemplate = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Greeting:
    Type: String
    Default: hello
Resources:
  Thing:
    Type: Test::Thing
    Properties:
      Value: !Sub "${Greeting} from ${AWS::StackName}"
Outputs:
  ThingArn:
    Value: !GetAtt Thing.Arn
    Export:
      Name: !Sub "${AWS::StackName}-thing"
`

// TestAWSCLIDeploy drives `aws cloudformation deploy` end to end with the installed
// CLI (pip's v1), then describe-stacks, wait and delete-stack.
func TestAWSCLIDeploy(t *testing.T) {
	e := newEnv(t)
	endpoint := settlingProxy(t, e)
	cli := gatewaytest.NewAWSCLI(t, endpoint, "AKIDCLI", "secret")
	path := filepath.Join(e.dir, "template.yaml")
	if err := os.WriteFile(path, []byte(cliTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(fail bool, args ...string) string {
		t.Helper()
		return cli.Expect(t, fail, append([]string{"cloudformation"}, args...)...)
	}
	out := run(false, "deploy", "--stack-name", "clistack", "--template-file", path, "--parameter-overrides", "Greeting=hi")
	if !strings.Contains(out, "Successfully created/updated stack - clistack") {
		t.Fatalf("deploy: %s", out)
	}
	var desc struct {
		Stacks []struct {
			StackName, StackStatus, StackId string
			Outputs                         []struct{ OutputKey, OutputValue, ExportName string }
			Parameters                      []struct{ ParameterKey, ParameterValue string }
		}
	}
	out = run(false, "describe-stacks", "--stack-name", "clistack")
	if err := json.Unmarshal([]byte(out), &desc); err != nil {
		t.Fatalf("describe-stacks %q: %v", out, err)
	}
	s := desc.Stacks[0]
	if s.StackStatus != "CREATE_COMPLETE" || len(s.Outputs) != 1 || s.Outputs[0].ExportName != "clistack-thing" ||
		!strings.HasPrefix(s.Outputs[0].OutputValue, "arn:test:") || s.Parameters[0].ParameterValue != "hi" {
		t.Fatalf("stack %+v", s)
	}
	run(false, "wait", "stack-create-complete", "--stack-name", "clistack")
	// Again, unchanged: v1 fails on an empty change set unless told not to.
	stderr := run(true, "deploy", "--stack-name", "clistack", "--template-file", path)
	if !strings.Contains(stderr, "No changes to deploy") {
		t.Fatalf("empty deploy: %s", stderr)
	}
	out = run(false, "deploy", "--stack-name", "clistack", "--template-file", path, "--no-fail-on-empty-changeset")
	if !strings.Contains(out, "No changes to deploy") {
		t.Fatalf("empty deploy: %s", out)
	}
	// A change: an update (the previous Greeting is kept unless overridden).
	out = run(false, "deploy", "--stack-name", "clistack", "--template-file", path, "--parameter-overrides", "Greeting=bye")
	if !strings.Contains(out, "Successfully created/updated stack") {
		t.Fatalf("update deploy: %s", out)
	}
	run(false, "wait", "stack-update-complete", "--stack-name", "clistack")
	out = run(false, "describe-stack-events", "--stack-name", "clistack")
	if !strings.Contains(out, `"ResourceStatus": "UPDATE_COMPLETE"`) || !strings.Contains(out, `"ResourceStatusReason": "User Initiated"`) {
		t.Fatalf("events: %s", out)
	}
	out = run(false, "list-exports")
	if !strings.Contains(out, "clistack-thing") {
		t.Fatalf("list-exports: %s", out)
	}
	stderr = run(true, "describe-stacks", "--stack-name", "nosuch")
	if !strings.Contains(stderr, "ValidationError") || !strings.Contains(stderr, "Stack with id nosuch does not exist") {
		t.Fatalf("missing stack: %s", stderr)
	}
	// A failed deploy reports it.
	e.p.fail("Update Thing", "thing is down")
	stderr = run(true, "deploy", "--stack-name", "clistack", "--template-file", path, "--parameter-overrides", "Greeting=again")
	if !strings.Contains(stderr, "Failed to create/update the stack") {
		t.Fatalf("failed deploy: %s", stderr)
	}
	run(false, "delete-stack", "--stack-name", "clistack")
	run(false, "wait", "stack-delete-complete", "--stack-name", "clistack")
}

// TestAWSCLIv2Deploy runs the same deploy with Debian's aws CLI v2, which has its own
// botocore; it needs --endpoint-url (it ignores AWS_ENDPOINT_URL).
func TestAWSCLIv2Deploy(t *testing.T) {
	bin := "/usr/bin/aws"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no aws CLI v2 at %s: .ci/run installs Debian's awscli", bin)
		}
		t.Skip("no aws CLI v2 at /usr/bin/aws")
	}
	e := newEnv(t)
	endpoint := settlingProxy(t, e)
	path := filepath.Join(e.dir, "template.yaml")
	if err := os.WriteFile(path, []byte(cliTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", endpoint, "--output", "json", "cloudformation"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=AKIDCLI", "AWS_SECRET_ACCESS_KEY=secret",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("deploy", "--stack-name", "v2stack", "--template-file", path)
	if err != nil || !strings.Contains(out, "Successfully created/updated stack - v2stack") {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	// v2 does not fail on an empty change set.
	out, err = run("deploy", "--stack-name", "v2stack", "--template-file", path)
	if err != nil || !strings.Contains(out, "No changes to deploy") {
		t.Fatalf("empty deploy: %v\n%s", err, out)
	}
	out, err = run("describe-stacks", "--stack-name", "v2stack", "--query", "Stacks[0].StackStatus")
	if err != nil || strings.TrimSpace(out) != `"CREATE_COMPLETE"` {
		t.Fatalf("describe-stacks: %v\n%s", err, out)
	}
	if out, err := run("wait", "stack-create-complete", "--stack-name", "v2stack"); err != nil {
		t.Fatalf("wait: %v\n%s", err, out)
	}
}
